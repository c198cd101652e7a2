//! Clients: their pending measures and answering one.

use rocket::data::{Data, Limits};
use rocket::http::Status;
use rocket::serde::json::Json;
use rocket::{Route, State, get, post, routes};
use serde::{Deserialize, Serialize};

use crate::auth::RequestMeta;
use crate::auth::api::ApiClient;
use crate::domain::measures::MeasureId;
use crate::error::AppError;
use crate::services::clients;
use crate::services::outcomes::{self, Pending, RecordedJson};
use crate::state::AppState;

use super::clients::as_text;
use super::errors::{RatingErrors, RoleErrors};
use super::{ApiResult, body};

/// `GET /my/measures`: what the client should complete now.
#[derive(Serialize, utoipa::ToSchema)]
struct PendingList {
    pending: Vec<Pending>,
}

/// The measures the signed-in client should complete now.
#[utoipa::path(get, path = "/api/v1/my/measures", tag = "clients", security(("bearer" = [])),
    responses((status = 200, description = "Pending measures", body = PendingList), RoleErrors))]
#[get("/my/measures")]
async fn my_measures(state: &State<AppState>, caller: ApiClient) -> ApiResult<Json<PendingList>> {
    let me = clients::own_record(&caller);
    let pending = outcomes::pending_measures(&state.db, &me).await?;
    Ok(Json(PendingList { pending }))
}

#[derive(Deserialize, utoipa::ToSchema)]
struct MyRatingBody {
    items: Vec<f64>,
}

/// The client answers one measure.
#[utoipa::path(post, path = "/api/v1/my/measures/{measure}", tag = "clients", security(("bearer" = [])),
    params(("measure" = String, Path, description = "The measure's id, e.g. `ors`")),
    request_body = MyRatingBody,
    responses((status = 201, description = "Stored", body = RecordedJson), RatingErrors))]
#[post("/my/measures/<measure>", data = "<data>")]
async fn my_submit(
    state: &State<AppState>,
    limits: &Limits,
    caller: ApiClient,
    measure: &str,
    data: Data<'_>,
    meta: RequestMeta,
) -> ApiResult<(Status, Json<RecordedJson>)> {
    let input: MyRatingBody = body(limits, data).await?;
    let id = MeasureId::parse(measure).ok_or(AppError::NotFound)?;
    let me = clients::own_record(&caller);
    let items = as_text(&input.items);
    let stored = outcomes::record_own(
        state,
        &me,
        id,
        items.iter().map(String::as_str).collect(),
        meta.ip,
    )
    .await?;
    Ok((Status::Created, Json(RecordedJson::of(&stored))))
}

pub fn routes() -> Vec<Route> {
    routes![my_measures, my_submit]
}
