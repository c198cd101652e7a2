//! Everything a request needs, built once at ignite and held in Rocket's managed state.

use std::sync::Arc;

use sea_orm::DatabaseConnection;

use crate::auth::password::Hasher;
use crate::auth::tokens::Keys;
use crate::clock::Clock;
use crate::config::Settings;
use crate::mail::Mailer;
use crate::sms::SmsSender;

pub struct AppState {
    pub db: DatabaseConnection,
    pub settings: Settings,
    pub clock: Clock,
    pub keys: Keys,
    /// Verified against for unknown user IDs (see `auth::password::dummy_hash`).
    pub dummy_hash: String,
    pub hasher: Hasher,
    pub sms: Arc<dyn SmsSender>,
    pub mailer: Mailer,
    /// The passkey relying party for `public_url`, or why there can be none (an IP address).
    pub webauthn: Result<webauthn_rs::Webauthn, String>,
    /// This instance's counters for `GET /metrics`.
    pub metrics: Arc<crate::metrics::Metrics>,
    /// Outgoing HTTP (OpenID providers): redirects never followed, 10 s timeout.
    pub http: reqwest::Client,
    /// Sends the durable outbox's texts and e-mails (SPEC §3.1); its worker runs from lift-off.
    pub postman: Arc<crate::services::outbox::Postman>,
}

impl AppState {
    pub fn now(&self) -> i64 {
        self.clock.now()
    }
}
