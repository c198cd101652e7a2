//! The client's own pages: `/my` (pending measures and, if allowed, their graph) and
//! `/my/measures/<measure>` to complete one.

use std::collections::HashMap;

use rocket::form::Contextual;
use rocket::http::Status;
use rocket::{FromForm, Route, State, get, post, routes};
use rocket_dyn_templates::Template;
use serde::Serialize;

use crate::auth::{ClientUser, CsrfForm, RequestMeta};
use crate::domain::measures::MeasureId;
use crate::error::AppError;
use crate::services::outcomes::{self, Pending};
use crate::services::{clients, telehealth};
use crate::state::AppState;
use crate::views::client_progress::{ClientProgress, client_progress};
use crate::views::outcomes::{MeasureForm, measure_form};
use crate::views::{FormState, Layout, Page};

#[derive(Serialize)]
struct MyPage {
    layout: Layout,
    pending: Vec<Pending>,
    progress: Option<ClientProgress>,
    done: bool,
    /// The practice's crisis text, after a safety answer (SPEC §3.2).
    crisis_text: Option<String>,
}

#[get("/my?<done>&<safety>")]
async fn my(
    state: &State<AppState>,
    client: ClientUser,
    done: Option<bool>,
    safety: Option<bool>,
) -> Result<Template, AppError> {
    let me = clients::own_record(&client);
    let progress = outcomes::own_progress(&state.db, &me).await?;
    // The client's own view: their scores in plain words, never the clinician's panel.
    let graph = progress.shared.as_ref().map(|r| {
        let locale = crate::services::practice::locale(state, &client.account);
        client_progress(r, &locale)
    });
    let crisis_text = match safety {
        Some(true) => Some(
            telehealth::settings(&state.db, client.account.id)
                .await?
                .crisis_text,
        ),
        _ => None,
    };
    Ok(Template::render(
        "my",
        MyPage {
            layout: Layout::new(&client, "My measures"),
            pending: progress.pending,
            progress: graph,
            done: done == Some(true),
            crisis_text,
        },
    ))
}

#[derive(Serialize)]
struct MeasurePage {
    layout: Layout,
    measure: MeasureForm,
    error: Option<String>,
}

/// A measure named in the path; an unknown one is "not found".
fn measure_in_path(measure: &str) -> Result<MeasureId, AppError> {
    MeasureId::parse(measure).ok_or(AppError::NotFound)
}

#[get("/my/measures/<measure>")]
async fn form(state: &State<AppState>, client: ClientUser, measure: &str) -> Result<Page, AppError> {
    let id = measure_in_path(measure)?;
    let me = clients::own_record(&client);
    if !outcomes::own_measure_due(&state.db, &me, id).await? {
        return Ok(Page::see_other("/my"));
    }
    let m = measure_form(id, &HashMap::new(), &HashMap::new());
    Ok(Page::Html(Template::render(
        "my_measure",
        MeasurePage {
            layout: Layout::new(&client, m.plain_name),
            measure: m,
            error: None,
        },
    )))
}

/// The client's answers: items only (clients never enter totals or session numbers). Each item
/// stays text for the measure's own rules.
#[derive(FromForm)]
struct AnswersForm<'r> {
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
}

const ITEMS: &[&str] = &[
    "item1", "item2", "item3", "item4", "item5", "item6", "item7", "item8", "item9",
];

impl<'r> AnswersForm<'r> {
    fn items(&self) -> Vec<&'r str> {
        vec![
            self.item1, self.item2, self.item3, self.item4, self.item5, self.item6, self.item7, self.item8,
            self.item9,
        ]
    }
}

#[post("/my/measures/<measure>", data = "<form>")]
async fn submit(
    state: &State<AppState>,
    client: ClientUser,
    measure: &str,
    form: CsrfForm<Contextual<'_, AnswersForm<'_>>>,
    meta: RequestMeta,
) -> Result<Page, AppError> {
    let id = measure_in_path(measure)?;
    let me = clients::own_record(&client);
    let CsrfForm(form) = form;
    let mut typed = FormState::from_context(&form.context, ITEMS, &[]);
    // Every field has a default, so the answers are always there to check.
    if let Some(answers) = form.value {
        match outcomes::record_own(state, &me, id, answers.items(), meta.ip.clone()).await {
            Ok(stored) if outcomes::raised_safety_alert(&stored) => {
                return Ok(Page::see_other("/my?done=true&safety=true"));
            }
            Ok(_) => return Ok(Page::see_other("/my?done=true")),
            Err(AppError::Invalid(errors)) => errors.into_iter().for_each(|e| typed.add(e)),
            Err(other) => return Err(other),
        }
    }
    let error = match typed.errors.get("measure") {
        Some(why) => format!("{why} Nothing was saved."),
        None => "Some answers are missing or out of range. Nothing was saved; please check them.".into(),
    };
    let m = measure_form(id, &typed.values, &typed.errors);
    let page = Template::render(
        "my_measure",
        MeasurePage {
            layout: Layout::new(&client, m.plain_name),
            measure: m,
            error: Some(error),
        },
    );
    Ok(Page::WithStatus((Status::UnprocessableEntity, page)))
}

pub fn routes() -> Vec<Route> {
    routes![my, form, submit]
}
