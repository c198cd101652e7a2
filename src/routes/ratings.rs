//! Recording ratings from the clinician's screen (in session or from paper), and the client
//! page's episode, safety-alert and sharing actions.

use std::collections::HashMap;

use rocket::http::Status;
use rocket::{Route, State, post, routes};
use sea_orm::{ActiveModelTrait, IntoActiveModel, Set};

use crate::auth::{SecureForm, StaffUser};
use crate::domain::ClientId;
use crate::error::AppError;
use crate::routes::clients::{RatingState, client_page};
use crate::services::audit::{self, Event};
use crate::services::clients;
use crate::services::outcomes::{self, Source, Submission};
use crate::state::AppState;
use crate::views::Page;

const ITEM_FIELDS: [&str; 9] = [
    "item1", "item2", "item3", "item4", "item5", "item6", "item7", "item8", "item9",
];

/// Reads `measure`, `session`, `item1`..`item9` and `total` from a form.
pub fn submission(form: &SecureForm) -> Submission<'_> {
    Submission {
        measure: form.get("measure"),
        session: form.get("session"),
        items: ITEM_FIELDS.iter().map(|f| form.get(f)).collect(),
        total: form.get("total"),
    }
}

#[post("/clients/<id>/ratings", data = "<form>")]
async fn record(
    state: &State<AppState>,
    actor: StaffUser,
    id: ClientId,
    form: SecureForm,
) -> Result<Page, AppError> {
    let client = clients::find(&state.db, &actor, id).await?;
    let settings = outcomes::settings(&state.db, client.account_id).await?;
    let source = if form.get("source") == "paper" || !form.get("total").trim().is_empty() {
        Source::Paper
    } else {
        Source::Clinician
    };
    let parsed = outcomes::parse_submission(&settings, &client, &submission(&form));
    let errors = match parsed {
        Ok((measure, session, items)) => {
            match outcomes::record(state, actor.user.id, &client, measure, session, items, source).await {
                Ok(_) => return Ok(Page::see_other(format!("/clients/{id}#progress"))),
                Err(AppError::Invalid(errors)) => errors,
                Err(other) => return Err(other),
            }
        }
        Err(errors) => errors,
    };
    let rating = RatingState {
        measure: form.get("measure").to_string(),
        session: form.get("session").to_string(),
        total: form.get("total").to_string(),
        source: form.get("source").to_string(),
        errors: errors
            .into_iter()
            .map(|e| (e.field.to_string(), e.message))
            .collect::<HashMap<_, _>>(),
    };
    let details = crate::routes::clients::values_of(&client);
    let page = client_page(state, &actor, details, Some(&client), rating, form.echo()).await?;
    Ok(Page::WithStatus((Status::UnprocessableEntity, page)))
}

#[post("/clients/<id>/episodes/close", data = "<_form>")]
async fn close_episode(
    state: &State<AppState>,
    actor: StaffUser,
    id: ClientId,
    _form: SecureForm,
) -> Result<Page, AppError> {
    let client = clients::find(&state.db, &actor, id).await?;
    outcomes::close_episode(state, actor.user.id, &client).await?;
    Ok(Page::see_other(format!("/clients/{id}#progress")))
}

#[post("/clients/<id>/episodes/new", data = "<_form>")]
async fn new_episode(
    state: &State<AppState>,
    actor: StaffUser,
    id: ClientId,
    _form: SecureForm,
) -> Result<Page, AppError> {
    let client = clients::find(&state.db, &actor, id).await?;
    outcomes::start_new_episode(state, actor.user.id, &client).await?;
    Ok(Page::see_other(format!("/clients/{id}#progress")))
}

#[post("/clients/<id>/alerts/acknowledge", data = "<_form>")]
async fn acknowledge(
    state: &State<AppState>,
    actor: StaffUser,
    id: ClientId,
    _form: SecureForm,
) -> Result<Page, AppError> {
    let client = clients::find(&state.db, &actor, id).await?;
    outcomes::acknowledge_alerts(state, actor.user.id, &client).await?;
    Ok(Page::see_other(format!("/clients/{id}")))
}

/// Whether the client sees their own graph on `/my`.
#[post("/clients/<id>/sharing", data = "<form>")]
async fn sharing(
    state: &State<AppState>,
    actor: StaffUser,
    id: ClientId,
    form: SecureForm,
) -> Result<Page, AppError> {
    let client = clients::find(&state.db, &actor, id).await?;
    let share = form.checked("client_sees_graph");
    let mut row = client.model().clone().into_active_model();
    row.client_sees_graph = Set(share);
    row.update(&state.db).await?;
    audit::record(
        &state.db,
        state.now(),
        Event::new("client.graph_sharing", "success")
            .account(client.account_id)
            .actor(actor.user.id)
            .subject(format!("client {}", client.id))
            .details(if share {
                "client may see their graph"
            } else {
                "graph hidden from client"
            }),
    )
    .await?;
    Ok(Page::see_other(format!("/clients/{id}")))
}

pub fn routes() -> Vec<Route> {
    routes![record, close_episode, new_episode, acknowledge, sharing]
}
