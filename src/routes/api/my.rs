//! Clients: their pending measures and answering one.

use rocket::data::{Data, Limits};
use rocket::http::Status;
use rocket::serde::json::{Json, Value, json};
use rocket::{Route, State, get, post, routes};
use serde::Deserialize;

use crate::auth::api::ApiUser;
use crate::domain::Role;
use crate::domain::measures::MeasureId;
use crate::error::AppError;
use crate::services::outcomes::{self, Source};
use crate::state::AppState;

use super::clients::{RatingBody, record_rating};
use super::{ApiResult, body};

fn client_only(caller: &ApiUser) -> ApiResult<()> {
    if caller.role() == Role::Client {
        Ok(())
    } else {
        Err(AppError::Forbidden.into())
    }
}

#[get("/my/measures")]
async fn my_measures(state: &State<AppState>, caller: ApiUser) -> ApiResult<Json<Value>> {
    client_only(&caller)?;
    let pending = outcomes::pending_measures(&state.db, &caller.user).await?;
    Ok(Json(json!({"pending": pending})))
}

#[derive(Deserialize)]
struct MyRatingBody {
    items: Vec<f64>,
}

#[post("/my/measures/<measure>", data = "<data>")]
async fn my_submit(
    state: &State<AppState>,
    limits: &Limits,
    caller: ApiUser,
    measure: &str,
    data: Data<'_>,
) -> ApiResult<(Status, Json<Value>)> {
    client_only(&caller)?;
    let input: MyRatingBody = body(limits, data).await?;
    let id = MeasureId::parse(measure).ok_or(AppError::NotFound)?;
    let settings = outcomes::settings(&state.db, caller.user.account_id).await?;
    if !outcomes::measures_for(&settings, outcomes::age_of(&caller.user)).contains(&id) {
        return Err(AppError::NotFound.into());
    }
    outcomes::check_due(&state.db, &caller.user, id).await?;
    let rating = RatingBody {
        measure: measure.to_string(),
        session: None,
        items: Some(input.items),
        total: None,
    };
    let me = caller.user.clone();
    record_rating(state, &me, &me, rating, Source::Client).await
}

pub fn routes() -> Vec<Route> {
    routes![my_measures, my_submit]
}
