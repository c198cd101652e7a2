//! The client's own pages: `/my` (pending measures and, if allowed, their graph) and
//! `/my/measures/<measure>` to complete one.

use std::collections::HashMap;

use rocket::http::Status;
use rocket::{Route, State, get, post, routes};
use rocket_dyn_templates::Template;
use serde::Serialize;

use crate::auth::{ClientUser, SecureForm};
use crate::domain::measures::MeasureId;
use crate::error::AppError;
use crate::routes::ratings::submission;
use crate::services::outcomes::{self, Pending, Source};
use crate::state::AppState;
use crate::views::Layout;
use crate::views::Page;
use crate::views::outcomes::{MeasureForm, OutcomeView, measure_form, outcome_view};

#[derive(Serialize)]
struct MyPage {
    layout: Layout,
    pending: Vec<Pending>,
    outcomes: Option<OutcomeView>,
    done: bool,
}

async fn pending(
    state: &AppState,
    client: &ClientUser,
) -> Result<(Vec<Pending>, Option<OutcomeView>), AppError> {
    let user = &client.user;
    let list = outcomes::pending_measures(&state.db, user).await?;
    let graph = if user.client_sees_graph {
        let settings = outcomes::settings(&state.db, user.account_id).await?;
        let record = outcomes::client_record(&state.db, user, &settings).await?;
        record
            .as_ref()
            .map(|r| outcome_view("My progress by session", outcomes::age_of(user), r))
    } else {
        None
    };
    Ok((list, graph))
}

#[get("/my?<done>")]
async fn my(state: &State<AppState>, client: ClientUser, done: Option<bool>) -> Result<Template, AppError> {
    let (pending, outcomes) = pending(state, &client).await?;
    Ok(Template::render(
        "my",
        MyPage {
            layout: Layout::new(&client, "My measures"),
            pending,
            outcomes,
            done: done == Some(true),
        },
    ))
}

#[derive(Serialize)]
struct MeasurePage {
    layout: Layout,
    measure: MeasureForm,
    error: Option<String>,
}

fn allowed(
    settings: &outcomes::OutcomeSettings,
    client: &ClientUser,
    measure: &str,
) -> Result<MeasureId, AppError> {
    let id = MeasureId::parse(measure).ok_or(AppError::NotFound)?;
    let age = outcomes::age_of(&client.user);
    if outcomes::measures_for(settings, age).contains(&id) {
        Ok(id)
    } else {
        Err(AppError::NotFound)
    }
}

#[get("/my/measures/<measure>")]
async fn form(state: &State<AppState>, client: ClientUser, measure: &str) -> Result<Page, AppError> {
    let settings = outcomes::settings(&state.db, client.user.account_id).await?;
    let id = allowed(&settings, &client, measure)?;
    if outcomes::check_due(&state.db, &client.user, id).await.is_err() {
        return Ok(Page::see_other("/my"));
    }
    let m = measure_form(id, &HashMap::new(), &HashMap::new());
    Ok(Page::Html(Template::render(
        "my_measure",
        MeasurePage {
            layout: Layout::new(&client, m.name),
            measure: m,
            error: None,
        },
    )))
}

#[post("/my/measures/<measure>", data = "<form>")]
async fn submit(
    state: &State<AppState>,
    client: ClientUser,
    measure: &str,
    form: SecureForm,
) -> Result<Page, AppError> {
    let settings = outcomes::settings(&state.db, client.user.account_id).await?;
    let id = allowed(&settings, &client, measure)?;
    let mut entry = submission(&form);
    entry.measure = id.as_str();
    // Clients complete every item themselves: no totals, no session numbers.
    entry.total = "";
    entry.session = "";
    let due = outcomes::check_due(&state.db, &client.user, id).await;
    let parsed = match due {
        Ok(()) => outcomes::parse_submission(&settings, &client.user, &entry),
        Err(AppError::Invalid(errors)) => Err(errors),
        Err(other) => return Err(other),
    };
    let errors = match parsed {
        Ok((id, _, items)) => match outcomes::record(
            state,
            client.user.id,
            &client.user,
            id,
            None,
            items,
            Source::Client,
        )
        .await
        {
            Ok(_) => return Ok(Page::see_other("/my?done=true")),
            Err(AppError::Invalid(errors)) => errors,
            Err(other) => return Err(other),
        },
        Err(errors) => errors,
    };
    let error_map: HashMap<String, String> = errors
        .iter()
        .map(|e| (e.field.to_string(), e.message.clone()))
        .collect();
    let m = measure_form(id, &form.echo(), &error_map);
    let page = Template::render(
        "my_measure",
        MeasurePage {
            layout: Layout::new(&client, m.name),
            measure: m,
            error: Some(match error_map.get("measure") {
                Some(why) => format!("{why} Nothing was saved."),
                None => {
                    "Some answers are missing or out of range. Nothing was saved; please check them.".into()
                }
            }),
        },
    );
    Ok(Page::WithStatus((Status::UnprocessableEntity, page)))
}

pub fn routes() -> Vec<Route> {
    routes![my, form, submit]
}
