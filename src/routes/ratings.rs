//! Recording ratings from the clinician's screen (in session or from paper), and the client
//! page's episode, safety-alert and sharing actions.

use rocket::form::{self, Contextual, FromFormField, ValueField};
use rocket::http::Status;
use rocket::{FromForm, Route, State, post, routes};

use crate::auth::{CsrfChecked, CsrfForm, RequestMeta, StaffUser};
use crate::domain::measures::MeasureId;
use crate::domain::{ClientId, SessionNumber};
use crate::error::AppError;
use crate::routes::clients::{RatingState, client_page, values_of};
use crate::routes::confirm::{ALERT_OPEN, Confirm, confirm_page};
use crate::routes::fields::Optional;
use crate::services::clients;
use crate::services::outcomes::{self, CHOOSE_A_MEASURE, Entry, Source};
use crate::state::AppState;
use crate::views::{FormState, Page};

/// Where a rating was entered: the form's radio buttons send `session` or `paper`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum EnteredFrom {
    Session,
    Paper,
}

#[rocket::async_trait]
impl<'v> FromFormField<'v> for EnteredFrom {
    fn from_value(field: ValueField<'v>) -> form::Result<'v, Self> {
        // Anything but `paper` counts as entered in session, as it always has: the choice only
        // labels the rating, and a total alone marks it as from paper anyway.
        Ok(if field.value == "paper" {
            Self::Paper
        } else {
            Self::Session
        })
    }

    fn default() -> Option<Self> {
        Some(Self::Session)
    }
}

/// A checkbox: ticked when the browser sends its value `on`; absent (or anything else) is not.
struct Checkbox(bool);

#[rocket::async_trait]
impl<'v> FromFormField<'v> for Checkbox {
    fn from_value(field: ValueField<'v>) -> form::Result<'v, Self> {
        Ok(Self(field.value == "on"))
    }

    fn default() -> Option<Self> {
        Some(Self(false))
    }
}

/// The rating form on the client page. Items and the total stay text: the measure's own rules
/// read them. The session's error is kept rather than failing the form, so it is shown with
/// the item errors once the measure is accepted, as before.
#[derive(FromForm)]
struct RatingForm<'r> {
    measure: MeasureId,
    session: form::Result<'r, Optional<SessionNumber>>,
    #[field(default = "")]
    item1: &'r str,
    #[field(default = "")]
    item2: &'r str,
    #[field(default = "")]
    item3: &'r str,
    #[field(default = "")]
    item4: &'r str,
    #[field(default = "")]
    item5: &'r str,
    #[field(default = "")]
    item6: &'r str,
    #[field(default = "")]
    item7: &'r str,
    #[field(default = "")]
    item8: &'r str,
    #[field(default = "")]
    item9: &'r str,
    #[field(default = "")]
    total: &'r str,
    source: EnteredFrom,
}

/// What a re-rendered rating form shows again (every field but the token).
const RATING_ECHO: &[&str] = &[
    "measure", "session", "item1", "item2", "item3", "item4", "item5", "item6", "item7", "item8", "item9",
    "total", "source",
];

impl<'r> RatingForm<'r> {
    fn source(&self) -> Source {
        if self.source == EnteredFrom::Paper || !self.total.trim().is_empty() {
            Source::Paper
        } else {
            Source::Clinician
        }
    }

    fn into_entry(self) -> Entry<'r> {
        Entry {
            measure: self.measure,
            session: self
                .session
                .map(Optional::into_inner)
                .map_err(|_| SessionNumber::refused()),
            items: vec![
                self.item1, self.item2, self.item3, self.item4, self.item5, self.item6, self.item7,
                self.item8, self.item9,
            ],
            total: self.total,
        }
    }
}

#[post("/clients/<id>/ratings", data = "<form>")]
async fn record(
    state: &State<AppState>,
    actor: StaffUser,
    id: ClientId,
    form: CsrfForm<Contextual<'_, RatingForm<'_>>>,
    meta: RequestMeta,
) -> Result<Page, AppError> {
    let client = clients::find(&state.db, &actor, id).await?;
    let CsrfForm(form) = form;
    let mut typed = FormState::from_context(&form.context, RATING_ECHO, &[("measure", CHOOSE_A_MEASURE)]);
    if let Some(input) = form.value {
        let source = input.source();
        match outcomes::record(
            state,
            &actor,
            &client,
            input.into_entry(),
            source,
            meta.ip.clone(),
        )
        .await
        {
            Ok(_) => return Ok(Page::see_other(format!("/clients/{id}?saved=rating#progress"))),
            Err(AppError::Invalid(errors)) => errors.into_iter().for_each(|e| typed.add(e)),
            Err(other) => return Err(other),
        }
    }
    let rating = RatingState::from_form(typed);
    let locale = crate::services::practice::locale(state, &actor.account);
    let page = client_page(state, &actor, values_of(&client, &locale), Some(&client), rating).await?;
    Ok(Page::WithStatus((Status::UnprocessableEntity, page)))
}

#[post("/clients/<id>/episodes/close", data = "<_form>")]
async fn close_episode(
    state: &State<AppState>,
    actor: StaffUser,
    id: ClientId,
    _form: CsrfChecked,
    meta: RequestMeta,
) -> Result<Page, AppError> {
    let client = clients::find(&state.db, &actor, id).await?;
    match outcomes::close_episode(state, &actor, &client, meta.ip).await {
        Ok(()) => Ok(Page::see_other(format!(
            "/clients/{id}?saved=episode-closed#progress"
        ))),
        Err(AppError::Invalid(_)) => {
            let page = confirm_page(
                &actor,
                Confirm {
                    title: "Close this episode?",
                    person: &client.full_name,
                    lines: &[],
                    action: format!("/clients/{id}/episodes/close"),
                    button: "Close the episode",
                    cancel: format!("/clients/{id}#progress"),
                    blocked: Some(ALERT_OPEN.into()),
                },
            );
            Ok(Page::WithStatus((Status::UnprocessableEntity, page)))
        }
        Err(other) => Err(other),
    }
}

#[post("/clients/<id>/episodes/new", data = "<_form>")]
async fn new_episode(
    state: &State<AppState>,
    actor: StaffUser,
    id: ClientId,
    _form: CsrfChecked,
    meta: RequestMeta,
) -> Result<Page, AppError> {
    let client = clients::find(&state.db, &actor, id).await?;
    outcomes::start_new_episode(state, &actor, &client, meta.ip).await?;
    Ok(Page::see_other(format!(
        "/clients/{id}?saved=episode-opened#progress"
    )))
}

#[post("/clients/<id>/alerts/acknowledge", data = "<_form>")]
async fn acknowledge(
    state: &State<AppState>,
    actor: StaffUser,
    id: ClientId,
    _form: CsrfChecked,
    meta: RequestMeta,
) -> Result<Page, AppError> {
    let client = clients::find(&state.db, &actor, id).await?;
    outcomes::acknowledge_alerts(state, &actor, &client, meta.ip).await?;
    Ok(Page::see_other(format!("/clients/{id}?saved=alert-seen")))
}

#[derive(FromForm)]
struct SharingForm {
    client_sees_graph: Checkbox,
}

/// Whether the client sees their own graph on `/my`.
#[post("/clients/<id>/sharing", data = "<form>")]
async fn sharing(
    state: &State<AppState>,
    actor: StaffUser,
    id: ClientId,
    form: CsrfForm<SharingForm>,
    meta: RequestMeta,
) -> Result<Page, AppError> {
    let client = clients::find(&state.db, &actor, id).await?;
    let CsrfForm(SharingForm {
        client_sees_graph: Checkbox(share),
    }) = form;
    clients::set_graph_sharing(state, &actor, client, share, meta.ip).await?;
    Ok(Page::see_other(format!("/clients/{id}?saved=sharing#progress")))
}

pub fn routes() -> Vec<Route> {
    routes![record, close_episode, new_episode, acknowledge, sharing]
}
