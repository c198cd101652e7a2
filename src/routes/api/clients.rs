//! Staff: the caseload, one client's record, and ratings entered from the app.

use rocket::data::{Data, Limits};
use rocket::http::Status;
use rocket::response::stream::ByteStream;
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

/// `GET /clients`: the caller's caseload. Only its schema is built from this type: the answer
/// itself is streamed in the same shape (`caseload_json`).
#[derive(Serialize, utoipa::ToSchema)]
struct Caseload {
    clients: Vec<CaseloadRow>,
}

/// JSON written while it is read.
#[derive(rocket::Responder)]
#[response(content_type = "json")]
struct JsonStream<S>(ByteStream<S>);

/// Rows as JSON array elements, each after a comma but the very first.
fn elements(rows: &[CaseloadRow], first: &mut bool) -> Vec<u8> {
    let mut out = Vec::new();
    for row in rows {
        if !std::mem::take(first) {
            out.push(b',');
        }
        // A row of plain numbers and strings always serializes; a failure would show as a gap.
        serde_json::to_writer(&mut out, row).ok();
    }
    out
}

/// The caller's caseload (staff).
#[utoipa::path(get, path = "/api/v1/clients", tag = "staff", security(("bearer" = [])),
    description = "The caller's active clients, worst first: by triage rank (open safety alert, red outcome, red alliance, amber, green, no flag yet), then by name and id. Sent as it is read, in batches, so any caseload size answers at once.",
    responses((status = 200, description = "The clients this person may see", body = Caseload), RoleErrors))]
#[get("/clients")]
async fn caseload(
    state: &State<AppState>,
    caller: ApiStaff,
) -> ApiResult<JsonStream<impl rocket::futures::Stream<Item = Vec<u8>> + Send>> {
    let mut clients = dashboards::caseload(&state.db, &caller);
    // The first batch is read before the status leaves, so a database failure is still a 503.
    let first = clients.next_batch().await?;
    let body = ByteStream! {
        let mut empty = true;
        yield b"{\"clients\":[".to_vec();
        if let Some(rows) = first {
            yield elements(&rows, &mut empty);
            loop {
                match clients.next_batch().await {
                    Ok(Some(rows)) => yield elements(&rows, &mut empty),
                    Ok(None) => break,
                    Err(error) => {
                        // The status has left: the JSON ends unfinished, and the log says why.
                        rocket::error!("caseload stopped: {error}");
                        return;
                    }
                }
            }
        }
        yield b"]}".to_vec();
    };
    Ok(JsonStream(body))
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
