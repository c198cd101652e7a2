//! Passkeys at sign-in (SPEC §2.1): signing in with one alone (`#passkey-sign-in` and the user
//! ID field's autofill), one as the second step at `/login/verify`, and the walk-through that
//! owners and admins get when their practice requires a passkey of them. The ceremonies run in
//! `public/passkeys.js`; these JSON endpoints take the page's CSRF token in `X-CSRF-Token`.

use rocket::http::{CookieJar, Status};
use rocket::serde::json::Json;
use rocket::{Route, State, get, post, routes};
use rocket_dyn_templates::Template;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::auth::guards::PasskeySetupLogin;
use crate::auth::{CsrfHeader, MaybeSignedIn, PendingLogin, RequestMeta, device, session};
use crate::routes::api::{ApiError, ApiResult};
use crate::routes::passkeys::{AddedJson, NewPasskeyBody, name_from};
use crate::services::second_step::passkey;
use crate::services::sign_in::{self, Channel};
use crate::state::AppState;

#[derive(Deserialize, Default)]
struct SignInOptionsBody {
    /// For the user ID field's autofill ("conditional UI") rather than the button.
    #[serde(default)]
    conditional: bool,
}

#[post("/login/passkey/options", data = "<body>")]
async fn sign_in_options(
    state: &State<AppState>,
    _csrf: CsrfHeader,
    body: Option<Json<SignInOptionsBody>>,
) -> ApiResult<Json<Value>> {
    let conditional = body.is_some_and(|b| b.conditional);
    Ok(Json(passkey::start_sign_in(state, conditional).await?))
}

#[derive(Deserialize)]
struct CredentialBody {
    credential: Value,
}

/// Where the page goes next.
#[derive(Serialize)]
struct Next {
    redirect: &'static str,
}

/// A passkey alone signs the person in (user verification makes it two factors), and this
/// browser is registered as after any second step.
#[post("/login/passkey", data = "<body>")]
async fn sign_in_with_passkey(
    state: &State<AppState>,
    signed: MaybeSignedIn,
    cookies: &CookieJar<'_>,
    _csrf: CsrfHeader,
    body: Json<CredentialBody>,
    meta: RequestMeta,
) -> ApiResult<Json<Next>> {
    let Some(first) = sign_in::passkey::check(state, &body.credential, &meta).await? else {
        return Err(ApiError::new(
            Status::Unauthorized,
            "passkey_refused",
            "That passkey could not sign you in. Try again, or sign in with your user ID and password.",
        ));
    };
    // SECURITY: rotation — whatever session this browser had is replaced.
    if let Some(previous) = signed.0 {
        session::delete(&state.db, previous.session.id).await?;
    }
    let https = state.settings.https();
    let finished = sign_in::finish(
        state,
        &first.user,
        &first.account,
        first.factors.clone(),
        Channel::Web,
        &meta,
    )
    .await?;
    if let Some(registered) = &finished.device {
        device::set_browser_cookie(
            cookies,
            &state.keys,
            https,
            first.user.id,
            registered,
            first.account.device_days,
        );
    }
    session::set_cookie(cookies, https, finished.started.token);
    Ok(Json(Next { redirect: "/" }))
}

/// Request options for a passkey as the pending sign-in's second step.
#[post("/login/verify/passkey/options")]
async fn second_step_options(
    state: &State<AppState>,
    pending: PendingLogin,
    _csrf: CsrfHeader,
) -> ApiResult<Json<Value>> {
    Ok(Json(passkey::start_second_step(state, &pending.0.user).await?))
}

#[derive(Serialize)]
struct PasskeySetupPage {
    csrf_token: String,
    unavailable: Option<String>,
}

#[get("/login/passkey-setup")]
fn setup_page(state: &State<AppState>, setup: PasskeySetupLogin) -> Template {
    Template::render(
        "passkey_setup",
        PasskeySetupPage {
            csrf_token: setup.0.session.csrf_token,
            unavailable: state.webauthn.as_ref().err().cloned(),
        },
    )
}

/// Creation options during the walk-through: every factor was just passed, so no password.
#[post("/login/passkey-setup/options")]
async fn setup_options(
    state: &State<AppState>,
    setup: PasskeySetupLogin,
    _csrf: CsrfHeader,
) -> ApiResult<Json<Value>> {
    Ok(Json(passkey::start_registration(state, &setup.0.user).await?))
}

#[derive(Serialize)]
struct SetUp {
    #[serde(flatten)]
    added: AddedJson,
    redirect: &'static str,
}

/// The required passkey is added: the browser is registered (unless a registered device was
/// one of the factors) and the full session starts.
#[post("/login/passkey-setup", data = "<body>")]
async fn setup_finish(
    state: &State<AppState>,
    setup: PasskeySetupLogin,
    cookies: &CookieJar<'_>,
    _csrf: CsrfHeader,
    body: Json<NewPasskeyBody>,
    meta: RequestMeta,
) -> ApiResult<(Status, Json<SetUp>)> {
    let PasskeySetupLogin(setup) = setup;
    let name = name_from(&body.name)?;
    let added =
        passkey::finish_registration(state, &setup.user, &name, &body.credential, meta.ip.clone()).await?;
    session::delete(&state.db, setup.session.id).await?;
    let https = state.settings.https();
    let finished = sign_in::finish(
        state,
        &setup.user,
        &setup.account,
        setup.session.factors.clone(),
        Channel::Web,
        &meta,
    )
    .await?;
    if let Some(registered) = &finished.device {
        device::set_browser_cookie(
            cookies,
            &state.keys,
            https,
            setup.user.id,
            registered,
            setup.account.device_days,
        );
    }
    session::set_cookie(cookies, https, finished.started.token);
    Ok((
        Status::Created,
        Json(SetUp {
            added: AddedJson {
                id: added.id,
                name: added.name,
            },
            redirect: "/",
        }),
    ))
}

pub fn routes() -> Vec<Route> {
    routes![
        sign_in_options,
        sign_in_with_passkey,
        second_step_options,
        setup_page,
        setup_options,
        setup_finish
    ]
}
