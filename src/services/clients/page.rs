//! What the client page shows besides the details form: the providers to choose from, the
//! client's registrations and second factors (for owners and admins), the progress record,
//! the measures to record, the questionnaires asked for and whether a safety alert is open.

use entities::{device, user};

use super::{VisibleClient, assignable_providers, record_view};
use crate::auth::guards::SignedIn;
use crate::domain::AgeGroup;
use crate::domain::asking::Asking;
use crate::domain::measures::MeasureId;
use crate::error::AppError;
use crate::services::outcomes::{self, EpisodeRecord};
use crate::services::{devices, second_step};
use crate::state::AppState;

/// The page's data; the route turns it into the template's context.
pub struct ClientPage {
    pub providers: Vec<user::Model>,
    /// Empty unless the actor manages devices (owners and admins).
    pub devices: Vec<device::Model>,
    pub factor_summary: String,
    /// `None` on the new-client page.
    pub progress: Option<Progress>,
    /// The client's invitation schedule (`off`, `weekly`, `fortnightly`, `monthly`).
    pub invite_schedule: &'static str,
    /// The symptom questionnaires the practice uses, with how often this client is asked.
    pub asking: Vec<(MeasureId, Asking)>,
}

/// An existing client's outcomes on their page.
pub struct Progress {
    pub age: AgeGroup,
    /// `None` before the first rating.
    pub record: Option<EpisodeRecord>,
    /// The measures staff may record for this client.
    pub measures: Vec<MeasureId>,
    pub safety_alert: bool,
}

/// Gathers the page for a new client (`None`) or an existing one.
pub async fn gather(
    state: &AppState,
    actor: &SignedIn,
    client: Option<&VisibleClient>,
) -> Result<ClientPage, AppError> {
    let db = &state.db;
    let providers = assignable_providers(db, actor).await?;
    let Some(client) = client else {
        return Ok(ClientPage {
            providers,
            devices: Vec::new(),
            factor_summary: String::new(),
            progress: None,
            invite_schedule: "off",
            asking: Vec::new(),
        });
    };
    let (devices, factor_summary) = if actor.role().is_manager() {
        (
            devices::list_for_user(db, client.id).await?,
            second_step::summary(
                db,
                client.id,
                &crate::services::practice::locale(state, &actor.account),
            )
            .await?,
        )
    } else {
        (Vec::new(), String::new())
    };
    let settings = outcomes::settings(db, client.account_id).await?;
    let record = outcomes::client_record(db, client, &settings).await?;
    let age = outcomes::age_of(client);
    let progress = Progress {
        age,
        record,
        measures: outcomes::measures_for(&settings, age),
        safety_alert: outcomes::has_open_alert(db, client).await?,
    };
    Ok(ClientPage {
        providers,
        devices,
        factor_summary,
        progress: Some(progress),
        invite_schedule: super::schedule::schedule_of(state, client).await?.as_str(),
        asking: outcomes::asking_of(db, client).await?,
    })
}

/// Staff open a client's page: the visit is audited, then the page gathered.
pub async fn open(
    state: &AppState,
    actor: &SignedIn,
    client: &VisibleClient,
    ip: Option<String>,
) -> Result<ClientPage, AppError> {
    record_view(&state.db, state.now(), actor, client, ip, None).await?;
    gather(state, actor, Some(client)).await
}
