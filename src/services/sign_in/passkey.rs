//! A passkey as a first factor. User verification is required, so a passkey is two factors by
//! itself (SPEC §2.1): no password and no code follow; the browser is registered as after any
//! second step.

use serde_json::Value;

use crate::auth::RequestMeta;
use crate::domain::{Factor, Factors};
use crate::error::AppError;
use crate::services::audit::{self, Event};
use crate::services::second_step::passkey::{self, Assertion};
use crate::state::AppState;

use super::FirstFactor;

/// The person a signed assertion proves, or `None` (refused, audited: a wrong origin or RP ID,
/// a replayed or expired challenge, an unknown credential, a counter that went backwards).
pub async fn check(
    state: &AppState,
    credential: &Value,
    meta: &RequestMeta,
) -> Result<Option<FirstFactor>, AppError> {
    match passkey::finish_sign_in(state, credential, meta.ip.clone()).await? {
        Assertion::Accepted(user, account) => Ok(Some(FirstFactor {
            user: *user,
            account: *account,
            factors: Factors::new(Factor::Passkey),
        })),
        Assertion::Refused => {
            audit::record(
                &state.db,
                state.now(),
                Event::new("login.failed", "failure")
                    .ip(meta.ip.clone())
                    .details("passkey refused"),
            )
            .await?;
            Ok(None)
        }
    }
}
