//! `/login/setup`: when the owner requires an authenticator app, the sign-in walks the person
//! through adding one; the page and the recovery codes page are shared with `/security`.

use rocket::form::Contextual;
use rocket::http::{CookieJar, Status};
use rocket::{FromForm, Route, State, get, post, routes};
use rocket_dyn_templates::Template;
use serde::Serialize;

use crate::auth::guards::{SetupLogin, SignedIn};
use crate::auth::{CsrfForm, RequestMeta, device, session};
use crate::domain::Factor;
use crate::error::AppError;
use crate::services::second_step::app;
use crate::services::sign_in::{self, Channel};
use crate::state::AppState;
use crate::views::{Layout, Page};

#[derive(Serialize)]
struct SetupPage {
    csrf_token: String,
    action: &'static str,
    secret_text: String,
    otpauth_url: String,
    qr_svg: String,
    error: Option<String>,
    layout: Option<Layout>,
}

/// The app set-up page, for the sign-in walk-through and the Security page alike.
pub async fn setup_page(
    state: &AppState,
    signed: &SignedIn,
    action: &'static str,
    layout: Option<Layout>,
    error: Option<String>,
) -> Result<Template, AppError> {
    let model = app::setup_in_progress(state, &signed.user).await?;
    let view = app::setup_view(state, &signed.user, &model)?;
    Ok(Template::render(
        "authenticator_setup",
        SetupPage {
            csrf_token: signed.session.csrf_token.clone(),
            action,
            secret_text: view.secret_text,
            otpauth_url: view.otpauth_url,
            qr_svg: view.qr_svg,
            error,
            layout,
        },
    ))
}

pub const WRONG_SETUP_CODE: &str =
    "That code does not match. Check that the app added \"Outcomes\" and enter the code it shows now.";

/// A set-up session whose person has an app by now (set up elsewhere) has nothing left to do
/// here: it ends, and the person signs in again with the app.
async fn setup_still_needed(state: &AppState, setup: &SignedIn) -> Result<bool, AppError> {
    if app::confirmed(&state.db, setup.user.id).await?.is_none() {
        return Ok(true);
    }
    session::delete(&state.db, setup.session.id).await?;
    Ok(false)
}

#[get("/login/setup")]
async fn setup_form(state: &State<AppState>, setup: Option<SetupLogin>) -> Result<Page, AppError> {
    let Some(SetupLogin(setup)) = setup else {
        return Ok(Page::see_other("/login"));
    };
    if !setup_still_needed(state, &setup).await? {
        return Ok(Page::see_other("/login"));
    }
    Ok(Page::Html(
        setup_page(state, &setup, "/login/setup", None, None).await?,
    ))
}

/// The first code from a new authenticator app.
#[derive(FromForm)]
pub struct SetupCode<'r> {
    #[field(default = "")]
    pub code: &'r str,
}

/// The first code from the new app: the app is set up, the browser registered, and the
/// recovery codes shown once.
#[post("/login/setup", data = "<form>")]
async fn setup_confirm(
    state: &State<AppState>,
    setup: SetupLogin,
    cookies: &CookieJar<'_>,
    form: CsrfForm<Contextual<'_, SetupCode<'_>>>,
    meta: RequestMeta,
) -> Result<Page, AppError> {
    let SetupLogin(setup) = setup;
    if !setup_still_needed(state, &setup).await? {
        return Ok(Page::see_other("/login"));
    }
    let CsrfForm(form) = form;
    let code = form.value.map_or("", |f| f.code);
    let Some(codes) = app::confirm_setup(state, &setup.user, code, meta.ip.clone()).await? else {
        let page = setup_page(state, &setup, "/login/setup", None, Some(WRONG_SETUP_CODE.into())).await?;
        return Ok(Page::WithStatus((Status::UnprocessableEntity, page)));
    };
    session::delete(&state.db, setup.session.id).await?;
    let factors = setup.session.factors.clone().and(Factor::App);
    let finished = sign_in::finish(state, &setup.user, &setup.account, factors, Channel::Web, &meta).await?;
    let https = state.settings.https();
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
    Ok(Page::Html(recovery_codes_page(None, codes, "/")))
}

#[derive(Serialize)]
struct RecoveryCodesPage {
    layout: Option<Layout>,
    codes: Vec<String>,
    download: String,
    next: &'static str,
}

/// The recovery codes, shown this once, with a plain-text download made in the page itself
/// (the server keeps only their hashes).
pub fn recovery_codes_page(layout: Option<Layout>, codes: Vec<String>, next: &'static str) -> Template {
    let text = format!(
        "Outcomes recovery codes. Each works once, in place of a code from your app.\n\n{}\n",
        codes.join("\n")
    );
    let download = format!(
        "data:text/plain;charset=utf-8,{}",
        url::form_urlencoded::byte_serialize(text.as_bytes())
            .collect::<String>()
            .replace('+', "%20")
    );
    Template::render(
        "recovery_codes",
        RecoveryCodesPage {
            layout,
            codes,
            download,
            next,
        },
    )
}

pub fn routes() -> Vec<Route> {
    routes![setup_form, setup_confirm]
}
