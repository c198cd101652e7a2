//! The client page's "Questionnaires" form: how often the provider asks this client for each
//! symptom questionnaire (PHQ-9, GAD-7). What is due then follows (`services::outcomes`).

use rocket::form::Contextual;
use rocket::http::Status;
use rocket::{FromForm, State, post};
use rocket_dyn_templates::Template;
use serde::Serialize;

use crate::auth::{CsrfForm, RequestMeta, StaffUser};
use crate::domain::ClientId;
use crate::domain::asking::Asking;
use crate::domain::measures::MeasureId;
use crate::error::AppError;
use crate::routes::fields::Optional;
use crate::services::{clients, outcomes};
use crate::state::AppState;
use crate::views::{Layout, Page};

/// One select per questionnaire; one the practice does not use is simply not sent.
#[derive(FromForm)]
pub(super) struct AskingForm {
    phq9: Optional<Asking>,
    gad7: Optional<Asking>,
}

#[derive(Serialize)]
struct Problem {
    layout: Layout,
    client_id: i32,
    message: String,
    /// Where "Back to the client" lands.
    anchor: &'static str,
}

#[post("/clients/<id>/questionnaires", data = "<form>")]
pub(super) async fn save(
    state: &State<AppState>,
    actor: StaffUser,
    id: ClientId,
    form: CsrfForm<Contextual<'_, AskingForm>>,
    meta: RequestMeta,
) -> Result<Page, AppError> {
    let client = clients::find(&state.db, &actor, id).await?;
    let CsrfForm(form) = form;
    let choices: Vec<(MeasureId, Asking)> = form
        .value
        .map(|f| {
            [(MeasureId::Phq9, f.phq9), (MeasureId::Gad7, f.gad7)]
                .into_iter()
                .filter_map(|(id, asking)| asking.into_inner().map(|a| (id, a)))
                .collect()
        })
        .unwrap_or_default();
    let message = if choices.is_empty() {
        Asking::RULE.to_string()
    } else {
        match outcomes::set_asking(state, &actor, &client, &choices, meta.ip).await {
            Ok(()) => {
                return Ok(Page::see_other(format!(
                    "/clients/{id}?saved=questionnaires#questionnaires"
                )));
            }
            Err(AppError::Invalid(errors)) => errors
                .into_iter()
                .map(|e| e.message)
                .collect::<Vec<_>>()
                .join(" "),
            Err(other) => return Err(other),
        }
    };
    let page = Template::render(
        "invite_problem",
        Problem {
            layout: Layout::new(&actor, "Questionnaires not saved"),
            client_id: client.id,
            message,
            anchor: "questionnaires",
        },
    );
    Ok(Page::WithStatus((Status::UnprocessableEntity, page)))
}
