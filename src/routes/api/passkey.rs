//! The app signs in with a passkey alone (WebAuthn, discoverable), exactly as the web does.

use rocket::data::{Data, Limits};
use rocket::http::Status;
use rocket::serde::json::Json;
use rocket::{Route, State, post, routes};
use serde::Deserialize;

use crate::auth::RequestMeta;
use crate::services::second_step::passkey;
use crate::services::sign_in::{self, Channel};
use crate::state::AppState;

use super::errors::{PasskeyLoginErrors, PasskeyOptionsErrors};
use super::login::{SignedInJson, signed_in};
use super::{ApiError, ApiResult, body};

/// Request options for signing in with a passkey alone (discoverable: no user ID needed).
#[utoipa::path(post, path = "/api/v1/login/passkey/options", tag = "sign-in",
    responses(
        (status = 200, description = "WebAuthn `PublicKeyCredentialRequestOptions` (as `{publicKey: …}`)", body = Object),
        PasskeyOptionsErrors,
    ))]
#[post("/login/passkey/options")]
async fn passkey_options(state: &State<AppState>) -> ApiResult<Json<serde_json::Value>> {
    Ok(Json(passkey::start_sign_in(state, false).await?))
}

#[derive(Deserialize, utoipa::ToSchema)]
struct PasskeyBody {
    /// The `PublicKeyCredential` the authenticator returned, as JSON (WebAuthn).
    #[schema(value_type = Object)]
    credential: serde_json::Value,
}

/// A passkey alone signs the person in, as on the web: user verification makes it two factors;
/// the app is registered (a new `device_token`) as after any second step.
#[utoipa::path(post, path = "/api/v1/login/passkey", tag = "sign-in", request_body = PasskeyBody,
    responses(
        (status = 200, description = "Signed in with the passkey alone", body = SignedInJson),
        PasskeyLoginErrors,
    ))]
#[post("/login/passkey", data = "<data>")]
async fn passkey_login(
    state: &State<AppState>,
    limits: &Limits,
    data: Data<'_>,
    meta: RequestMeta,
) -> ApiResult<Json<SignedInJson>> {
    let input: PasskeyBody = body(limits, data).await?;
    let Some(first) = sign_in::passkey::check(state, &input.credential, &meta).await? else {
        return Err(ApiError::new(
            Status::Unauthorized,
            "passkey_refused",
            "That passkey could not sign you in.",
        ));
    };
    let finished = sign_in::finish(
        state,
        &first.user,
        &first.account,
        first.factors.clone(),
        Channel::App,
        &meta,
    )
    .await?;
    Ok(signed_in(&first.user, finished.started, finished.device))
}

pub fn routes() -> Vec<Route> {
    routes![passkey_options, passkey_login]
}
