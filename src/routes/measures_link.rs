//! Measures links (SPEC §3.1): the provider's "send the measures link" action on the client
//! page, and `/m/<token>`, where the client answers their due measures without signing in.

use std::collections::HashMap;

use rocket::form::Form;
use rocket::http::Status;
use rocket::{FromForm, Route, State, get, post, routes};
use rocket_dyn_templates::Template;
use serde::Serialize;

use crate::auth::{CsrfForm, RequestMeta, StaffUser};
use crate::domain::ClientId;
use crate::domain::calendar::Schedule;
use crate::domain::measures::{self, MeasureId};
use crate::error::AppError;
use crate::services::clients::measure_link::{LinkChannel, OpenLink, Refused};
use crate::services::clients::{self, measure_link};
use crate::services::outcomes;
use crate::state::AppState;
use crate::views::outcomes::{MeasureForm, measure_form};
use crate::views::{Layout, Page};

#[derive(FromForm)]
struct InviteForm<'r> {
    #[field(default = "")]
    channel: &'r str,
}

#[derive(Serialize)]
struct InviteProblem {
    layout: Layout,
    client_id: i32,
    message: String,
}

/// Sends the measures link by text, e-mail or both.
#[post("/clients/<id>/invite", data = "<form>")]
async fn invite(
    state: &State<AppState>,
    actor: StaffUser,
    id: ClientId,
    form: CsrfForm<InviteForm<'_>>,
    meta: RequestMeta,
) -> Result<Page, AppError> {
    let client = clients::find(&state.db, &actor, id).await?;
    let CsrfForm(form) = form;
    let problem = match LinkChannel::parse(form.channel) {
        None => "Choose how to send the link: text, e-mail or both.".to_string(),
        Some(channel) => {
            match measure_link::send(state, &actor, &actor.account, &client, channel, meta.ip).await {
                Ok(()) => return Ok(Page::see_other(format!("/clients/{id}?saved=invite#invite"))),
                Err(AppError::Invalid(errors)) => errors
                    .iter()
                    .map(|e| e.message.as_str())
                    .collect::<Vec<_>>()
                    .join(" "),
                Err(other) => return Err(other),
            }
        }
    };
    let page = Template::render(
        "invite_problem",
        InviteProblem {
            layout: Layout::new(&actor, "Measures link not sent"),
            client_id: client.id,
            message: problem,
        },
    );
    Ok(Page::WithStatus((Status::UnprocessableEntity, page)))
}

#[derive(FromForm)]
struct ScheduleForm<'r> {
    #[field(default = "")]
    invite_schedule: &'r str,
}

/// Sets how often the measures link goes out by itself.
#[post("/clients/<id>/schedule", data = "<form>")]
async fn schedule(
    state: &State<AppState>,
    actor: StaffUser,
    id: ClientId,
    form: CsrfForm<ScheduleForm<'_>>,
    meta: RequestMeta,
) -> Result<Page, AppError> {
    let client = clients::find(&state.db, &actor, id).await?;
    let CsrfForm(form) = form;
    let Some(chosen) = Schedule::parse(form.invite_schedule) else {
        let page = Template::render(
            "invite_problem",
            InviteProblem {
                layout: Layout::new(&actor, "Schedule not saved"),
                client_id: client.id,
                message: "Choose how often: never, every week, every two weeks or every month.".into(),
            },
        );
        return Ok(Page::WithStatus((Status::UnprocessableEntity, page)));
    };
    clients::schedule::set(state, &actor, &actor.account, &client, chosen, meta.ip).await?;
    Ok(Page::see_other(format!("/clients/{id}?saved=schedule#invite")))
}

#[derive(Serialize)]
struct LinkItem {
    id: &'static str,
    name: &'static str,
}

#[derive(Serialize)]
struct LinkPage {
    token: String,
    measures: Vec<LinkItem>,
    /// Why an answer was refused (a measure this link does not ask for).
    error: Option<&'static str>,
}

#[derive(Serialize)]
struct GonePage {
    /// 404 and 410 read the same: nothing hints whose link it was.
    title: &'static str,
}

#[derive(Serialize)]
struct LinkMeasurePage {
    token: String,
    measure: MeasureForm,
    error: Option<String>,
}

#[derive(Serialize)]
struct DonePage {
    crisis_text: Option<String>,
}

fn refused(why: Refused) -> Page {
    let status = match why {
        Refused::Unknown => Status::NotFound,
        Refused::Gone => Status::Gone,
    };
    Page::WithStatus((
        status,
        Template::render(
            "link_gone",
            GonePage {
                title: "This link does not work",
            },
        ),
    ))
}

/// A token as it can be: 32 hex digits. Anything else is unknown without a database look-up.
fn plausible(token: &str) -> bool {
    token.len() == 32 && token.bytes().all(|b| b.is_ascii_hexdigit())
}

async fn opened(state: &AppState, token: &str) -> Result<Result<OpenLink, Page>, AppError> {
    if !plausible(token) {
        return Ok(Err(refused(Refused::Unknown)));
    }
    Ok(measure_link::open(state, token).await?.map_err(refused))
}

/// The link's list of what is due, with a refusal's message when there is one.
fn link_list(token: &str, open: &OpenLink, error: Option<&'static str>) -> Template {
    let measures = open
        .measures
        .iter()
        .map(|id| LinkItem {
            id: id.as_str(),
            name: measures::measure(*id).plain_name,
        })
        .collect();
    Template::render(
        "link_measures",
        LinkPage {
            token: token.to_string(),
            measures,
            error,
        },
    )
}

/// An answer to a measure the link does not ask for (not due, or no such measure).
const NOT_ASKED: &str = "That questionnaire is not one this link asks for, so nothing was saved.";

#[get("/m/<token>")]
async fn list(state: &State<AppState>, token: &str) -> Result<Page, AppError> {
    let open = match opened(state, token).await? {
        Ok(open) => open,
        Err(page) => return Ok(page),
    };
    Ok(Page::Html(link_list(token, &open, None)))
}

#[get("/m/<token>/done?<safety>")]
async fn done(state: &State<AppState>, token: &str, safety: Option<bool>) -> Result<Page, AppError> {
    let crisis_text = match (safety, plausible(token)) {
        (Some(true), true) => measure_link::crisis_text_for_token(state, token).await?,
        _ => None,
    };
    Ok(Page::Html(Template::render(
        "link_done",
        DonePage { crisis_text },
    )))
}

#[get("/m/<token>/<measure>", rank = 2)]
async fn form(state: &State<AppState>, token: &str, measure: &str) -> Result<Page, AppError> {
    let open = match opened(state, token).await? {
        Ok(open) => open,
        Err(page) => return Ok(page),
    };
    let Some(id) = MeasureId::parse(measure).filter(|m| open.measures.contains(m)) else {
        return Ok(Page::see_other(format!("/m/{token}")));
    };
    Ok(Page::Html(Template::render(
        "link_measure",
        LinkMeasurePage {
            token: token.to_string(),
            measure: measure_form(id, &HashMap::new(), &HashMap::new()),
            error: None,
        },
    )))
}

// SECURITY: no CSRF token here: these pages have no session or cookie to ride on, and a forged
// post would need the link's 128-bit token, which only the client's phone or inbox holds.
#[post("/m/<token>/<measure>", data = "<answers>", rank = 2)]
async fn submit(
    state: &State<AppState>,
    token: &str,
    measure: &str,
    answers: Form<HashMap<String, String>>,
    meta: RequestMeta,
) -> Result<Page, AppError> {
    let open = match opened(state, token).await? {
        Ok(open) => open,
        Err(page) => return Ok(page),
    };
    let Some(id) = MeasureId::parse(measure).filter(|m| open.measures.contains(m)) else {
        let page = link_list(token, &open, Some(NOT_ASKED));
        return Ok(Page::WithStatus((Status::UnprocessableEntity, page)));
    };
    let values: HashMap<String, String> = (1..=9)
        .map(|i| format!("item{i}"))
        .map(|k| {
            let v = answers.get(&k).cloned().unwrap_or_default();
            (k, v)
        })
        .collect();
    let items: Vec<&str> = (1..=9)
        .map(|i| values.get(&format!("item{i}")).map_or("", String::as_str))
        .collect();
    match measure_link::answer(state, &open, id, items, meta.ip).await {
        Ok(Some(stored)) => {
            let left = measure_link::open(state, token).await?.is_ok();
            let safety = outcomes::raised_safety_alert(&stored);
            Ok(Page::see_other(match (safety, left) {
                (true, _) => format!("/m/{token}/done?safety=true"),
                (false, true) => format!("/m/{token}"),
                (false, false) => format!("/m/{token}/done"),
            }))
        }
        Ok(None) => Ok(Page::WithStatus((
            Status::UnprocessableEntity,
            link_list(token, &open, Some(NOT_ASKED)),
        ))),
        Err(AppError::Invalid(errors)) => {
            let mut messages = HashMap::new();
            let mut general = None;
            for e in errors {
                if e.field == "measure" {
                    general = Some(e.message);
                } else {
                    messages.insert(e.field.to_string(), e.message);
                }
            }
            let page = Template::render(
                "link_measure",
                LinkMeasurePage {
                    token: token.to_string(),
                    measure: measure_form(id, &values, &messages),
                    error: Some(general.unwrap_or_else(|| {
                        "Some answers are missing or out of range. Nothing was saved; please check them."
                            .into()
                    })),
                },
            );
            Ok(Page::WithStatus((Status::UnprocessableEntity, page)))
        }
        Err(other) => Err(other),
    }
}

pub fn routes() -> Vec<Route> {
    routes![invite, schedule, list, done, form, submit]
}
