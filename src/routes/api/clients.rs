//! Staff: the caseload, one client's record, and ratings entered from the app.

use rocket::data::{Data, Limits};
use rocket::http::Status;
use rocket::serde::json::{Json, Value, json};
use rocket::{Route, State, get, post, routes};
use serde::Deserialize;

use entities::user;

use crate::auth::api::ApiUser;
use crate::auth::guards::Acting;
use crate::domain::ClientId;
use crate::error::AppError;
use crate::services::audit::{self, Event};
use crate::services::outcomes::{self, Source, Submission};
use crate::services::{clients, dashboards};
use crate::state::AppState;

use super::{ApiResult, body};

fn staff_only(caller: &ApiUser) -> ApiResult<()> {
    if caller.role().is_staff() {
        Ok(())
    } else {
        Err(AppError::Forbidden.into())
    }
}

#[get("/clients")]
async fn caseload(state: &State<AppState>, caller: ApiUser) -> ApiResult<Json<Value>> {
    staff_only(&caller)?;
    let rows = dashboards::caseload(&state.db, &caller).await?;
    Ok(Json(json!({"clients": rows})))
}

#[get("/clients/<id>")]
async fn client(
    state: &State<AppState>,
    caller: ApiUser,
    id: ClientId,
) -> ApiResult<Json<outcomes::ClientJson>> {
    staff_only(&caller)?;
    let client = clients::find(&state.db, &caller, id).await?;
    let settings = outcomes::settings(&state.db, client.account_id).await?;
    let record = outcomes::client_record(&state.db, &client, &settings).await?;
    audit::record(
        &state.db,
        state.now(),
        Event::new("client.viewed", "success")
            .account(client.account_id)
            .actor(caller.user.id)
            .subject(format!("client {}", client.id))
            .details("mobile app"),
    )
    .await?;
    Ok(Json(outcomes::client_json(&client, record.as_ref())))
}

#[derive(Deserialize)]
pub(super) struct RatingBody {
    pub(super) measure: String,
    pub(super) session: Option<i32>,
    pub(super) items: Option<Vec<f64>>,
    pub(super) total: Option<f64>,
}

/// Turns a JSON rating into the same submission the forms make, so the same rules apply.
pub(super) async fn record_rating(
    state: &AppState,
    actor: &user::Model,
    client: &user::Model,
    input: RatingBody,
    source: Source,
) -> ApiResult<(Status, Json<Value>)> {
    let settings = outcomes::settings(&state.db, client.account_id).await?;
    let items: Vec<String> = input
        .items
        .unwrap_or_default()
        .iter()
        .map(|v| v.to_string())
        .collect();
    let session = input.session.map(|s| s.to_string()).unwrap_or_default();
    let total = input.total.map(|t| t.to_string()).unwrap_or_default();
    let submission = Submission {
        measure: &input.measure,
        session: &session,
        items: items.iter().map(String::as_str).collect(),
        total: &total,
    };
    let (id, session, values) =
        outcomes::parse_submission(&settings, client, &submission).map_err(AppError::Invalid)?;
    let stored = outcomes::record(state, actor.id, client, id, session, values, source).await?;
    Ok((
        Status::Created,
        Json(
            json!({"measure": stored.measure, "session": stored.session, "total": stored.total, "items": serde_json::from_str::<Value>(&stored.items).unwrap_or(Value::Null)}),
        ),
    ))
}

#[post("/clients/<id>/ratings", data = "<data>")]
async fn add_rating(
    state: &State<AppState>,
    limits: &Limits,
    caller: ApiUser,
    id: ClientId,
    data: Data<'_>,
) -> ApiResult<(Status, Json<Value>)> {
    staff_only(&caller)?;
    let client = clients::find(&state.db, &caller, id).await?;
    let input: RatingBody = body(limits, data).await?;
    let source = if input.total.is_some() {
        Source::Paper
    } else {
        Source::Clinician
    };
    record_rating(state, caller.acting_user(), &client, input, source).await
}

pub fn routes() -> Vec<Route> {
    routes![caseload, client, add_rating]
}
