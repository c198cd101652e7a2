//! Staff: the caseload, one client's record, and ratings entered from the app.

use rocket::data::{Data, Limits};
use rocket::http::Status;
use rocket::serde::json::Json;
use rocket::{Route, State, get, post, routes};
use serde::{Deserialize, Serialize};

use crate::auth::RequestMeta;
use crate::auth::api::ApiStaff;
use crate::domain::measures::MeasureId;
use crate::domain::{ClientId, FieldError, SessionNumber};
use crate::error::AppError;
use crate::services::clients;
use crate::services::dashboards::{self, CaseloadRow};
use crate::services::outcomes::{self, CHOOSE_A_MEASURE, ClientJson, Entry, RecordedJson, Source};
use crate::state::AppState;

use super::errors::{ClientErrors, RatingErrors, RoleErrors};
use super::{ApiResult, body};

/// `GET /clients`: the caller's caseload.
#[derive(Serialize, utoipa::ToSchema)]
struct Caseload {
    clients: Vec<CaseloadRow>,
}

/// The caller's caseload (staff).
#[utoipa::path(get, path = "/api/v1/clients", tag = "staff", security(("bearer" = [])),
    responses((status = 200, description = "The clients this person may see", body = Caseload), RoleErrors))]
#[get("/clients")]
async fn caseload(state: &State<AppState>, caller: ApiStaff) -> ApiResult<Json<Caseload>> {
    let clients = dashboards::caseload(&state.db, &caller).await?;
    Ok(Json(Caseload { clients }))
}

/// One client's current episode: ratings, expected trajectory and flags (staff; audited).
#[utoipa::path(get, path = "/api/v1/clients/{id}", tag = "staff", security(("bearer" = [])),
    params(("id" = i32, Path, description = "The client's id")),
    responses((status = 200, description = "The client", body = ClientJson), ClientErrors))]
#[get("/clients/<id>")]
async fn client(
    state: &State<AppState>,
    caller: ApiStaff,
    id: ClientId,
    meta: RequestMeta,
) -> ApiResult<Json<ClientJson>> {
    let client = clients::find(&state.db, &caller, id).await?;
    let json = outcomes::viewed_client_json(&state.db, state.now(), &caller, &client, meta.ip).await?;
    Ok(Json(json))
}

#[derive(Deserialize, utoipa::ToSchema)]
struct RatingBody {
    measure: String,
    session: Option<i32>,
    items: Option<Vec<f64>>,
    total: Option<f64>,
}

/// Scores as the text a form would carry, so the app's ratings meet the measure's rules
/// (range, decimals) exactly as typed ones do.
pub(super) fn as_text(scores: &[f64]) -> Vec<String> {
    scores.iter().map(f64::to_string).collect()
}

/// Records a rating for a client (staff): `items`, or a paper `total`.
#[utoipa::path(post, path = "/api/v1/clients/{id}/ratings", tag = "staff", security(("bearer" = [])),
    params(("id" = i32, Path, description = "The client's id")),
    request_body = RatingBody,
    responses((status = 201, description = "Stored", body = RecordedJson), RatingErrors))]
#[post("/clients/<id>/ratings", data = "<data>")]
async fn add_rating(
    state: &State<AppState>,
    limits: &Limits,
    caller: ApiStaff,
    id: ClientId,
    data: Data<'_>,
    meta: RequestMeta,
) -> ApiResult<(Status, Json<RecordedJson>)> {
    let client = clients::find(&state.db, &caller, id).await?;
    let input: RatingBody = body(limits, data).await?;
    let source = if input.total.is_some() {
        Source::Paper
    } else {
        Source::Clinician
    };
    let measure = MeasureId::parse(&input.measure)
        .ok_or_else(|| AppError::Invalid(vec![FieldError::new("measure", CHOOSE_A_MEASURE)]))?;
    let items = as_text(&input.items.unwrap_or_default());
    let total = input.total.map(|t| t.to_string()).unwrap_or_default();
    let entry = Entry {
        measure,
        session: input.session.map(SessionNumber::new).transpose(),
        items: items.iter().map(String::as_str).collect(),
        total: &total,
    };
    let stored = outcomes::record(state, &caller, &client, entry, source, meta.ip).await?;
    Ok((Status::Created, Json(RecordedJson::of(&stored))))
}

pub fn routes() -> Vec<Route> {
    routes![caseload, client, add_rating]
}
