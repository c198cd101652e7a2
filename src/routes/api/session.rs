//! Who is signed in (`/me`) and signing out (the bearer token is revoked).

use rocket::serde::json::Json;
use rocket::{Route, State, get, post, routes};
use serde::Serialize;

use crate::auth::api::{self, ApiUser};
use crate::domain::Plan;
use crate::state::AppState;

use super::ApiResult;
use super::errors::SignedInErrors;
use super::login::UserJson;
use super::openapi::PlanSchema;

#[derive(Serialize, utoipa::ToSchema)]
struct Done {
    ok: bool,
}

/// Revokes the bearer token.
#[utoipa::path(post, path = "/api/v1/logout", tag = "sign-in", security(("bearer" = [])),
    responses((status = 200, description = "Signed out", body = Done), SignedInErrors))]
#[post("/logout")]
async fn logout(state: &State<AppState>, caller: ApiUser) -> ApiResult<Json<Done>> {
    api::revoke(&state.db, caller.token.id).await?;
    Ok(Json(Done { ok: true }))
}

#[derive(Serialize, utoipa::ToSchema)]
struct AccountJson {
    id: i32,
    name: String,
    #[schema(value_type = PlanSchema)]
    plan: Plan,
}

#[derive(Serialize, utoipa::ToSchema)]
struct MeJson {
    #[serde(flatten)]
    user: UserJson,
    account: AccountJson,
}

/// The signed-in person and their practice.
#[utoipa::path(get, path = "/api/v1/me", tag = "sign-in", security(("bearer" = [])),
    responses((status = 200, description = "Who is signed in", body = MeJson), SignedInErrors))]
#[get("/me")]
fn me(caller: ApiUser) -> Json<MeJson> {
    Json(MeJson {
        user: UserJson::of(&caller.user),
        account: AccountJson {
            id: caller.account.id,
            name: caller.account.name.clone(),
            plan: caller.account.plan,
        },
    })
}

pub fn routes() -> Vec<Route> {
    routes![logout, me]
}
