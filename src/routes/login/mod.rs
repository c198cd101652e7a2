//! `/login` (the password step) and `/logout`; the second step is in `verify`, the
//! authenticator set-up walk-through in `setup`. The decisions are `services::sign_in`'s: these
//! handlers turn them into pages, cookies and redirects.

mod forgot;
mod passkey;
mod setup;
mod sso_routes;
mod verify;

use rocket::form::Contextual;
use rocket::http::{CookieJar, Status};
use rocket::response::{Flash, Redirect};
use rocket::{FromForm, Route, State, get, post, routes};
use rocket_dyn_templates::Template;
use serde::Serialize;

use crate::auth::device;
use crate::auth::session;
use crate::auth::{CsrfChecked, CsrfForm, CsrfToken, MaybeSignedIn, RequestMeta};
use crate::domain::{Factor, Factors, SessionState};
use crate::error::AppError;
use crate::services::sign_in::{self, Channel, FirstFactor, Next, password};
use crate::services::sso;
use crate::state::AppState;
use crate::views::Page;

pub use setup::{SetupCode, WRONG_SETUP_CODE, recovery_codes_page, setup_page};

pub const INVALID_CREDENTIALS: &str = "The user ID or password is incorrect.";
pub const SSO_REQUIRED: &str = "Your practice signs you in through its identity provider, not with a password. Use your practice's sign-in link:";
pub const NO_PHONE: &str = "Your practice requires a code texted to your phone at sign-in, but there is no phone number on file for you. Ask your account owner to add one.";

#[derive(Serialize)]
struct LoginPage {
    csrf_token: String,
    user_id: String,
    error: Option<String>,
    notice: Option<&'static str>,
    /// Whether this server can offer passkeys (its `public_url` names a host).
    passkeys: bool,
}

fn render(
    state: &AppState,
    csrf: String,
    user_id: String,
    error: Option<String>,
    notice: Option<&'static str>,
) -> Template {
    Template::render(
        "login",
        LoginPage {
            csrf_token: csrf,
            user_id,
            error,
            notice,
            passkeys: state.webauthn.is_ok(),
        },
    )
}

/// Sign-up sends `signed_up=1`; older links say `true`. Both show the welcome.
fn flag_on(value: Option<&str>) -> bool {
    matches!(value, Some("1" | "true"))
}

#[get("/login?<signed_up>&<signed_out>&<reset>")]
fn show(
    state: &State<AppState>,
    signed: MaybeSignedIn,
    csrf: CsrfToken,
    signed_up: Option<&str>,
    signed_out: Option<bool>,
    reset: Option<bool>,
) -> Page {
    if signed.0.is_some_and(|s| s.session.state == SessionState::Full) {
        return Page::see_other("/");
    }
    let notice = if flag_on(signed_up) {
        Some("Your practice is set up. Sign in with the user ID and password you chose.")
    } else if reset == Some(true) {
        Some(
            "Your password is changed. Sign in with it; every device was signed out, so a code is asked again.",
        )
    } else if signed_out == Some(true) {
        Some("You are signed out.")
    } else {
        None
    };
    Page::Html(render(state, csrf.0, String::new(), None, notice))
}

/// Missing fields read as empty, so they meet the same "incorrect" answer (and count toward the
/// same limits) as wrong ones.
#[derive(FromForm)]
struct LoginForm<'r> {
    #[field(default = "")]
    user_id: &'r str,
    #[field(default = "")]
    password: &'r str,
}

#[post("/login", data = "<form>")]
async fn submit(
    state: &State<AppState>,
    signed: MaybeSignedIn,
    cookies: &CookieJar<'_>,
    csrf: CsrfToken,
    form: CsrfForm<Contextual<'_, LoginForm<'_>>>,
    meta: RequestMeta,
) -> Result<Page, AppError> {
    let CsrfForm(form) = form;
    let (login, secret) = form.value.map_or(("", ""), |f| (f.user_id, f.password));
    let typed: String = login.chars().take(200).collect();
    let refused = |error: AppError| match error {
        AppError::TooMany { retry_after, message } => Ok(Page::limited(
            render(state, csrf.0.clone(), typed.clone(), Some(message), None),
            retry_after,
        )),
        other => Err(other),
    };
    let (user, account) = match password::check(state, login, secret, &meta).await {
        Ok(Some(found)) => found,
        Ok(None) => {
            return Ok(Page::WithStatus((
                Status::Unauthorized,
                render(
                    state,
                    csrf.0.clone(),
                    typed,
                    Some(INVALID_CREDENTIALS.into()),
                    None,
                ),
            )));
        }
        Err(error) => return refused(error),
    };
    // SECURITY: rotation — whatever session this browser had is replaced by a new token.
    if let Some(previous) = signed.0 {
        session::delete(&state.db, previous.session.id).await?;
    }
    let first = FirstFactor {
        user,
        account,
        factors: Factors::new(Factor::Password),
    };
    if let Some(link) = sso::password_refused(state, &first.user, &first.account).await? {
        return Ok(Page::WithStatus((
            Status::Forbidden,
            render(
                state,
                csrf.0.clone(),
                typed,
                Some(format!("{SSO_REQUIRED} {link}")),
                None,
            ),
        )));
    }
    proceed(state, cookies, &csrf, typed, first, &meta).await
}

/// After a first factor (a password or single sign-on): what the sign-in decides next, as a
/// page — a session, the code page, a set-up walk-through, or a refusal.
pub(crate) async fn proceed(
    state: &AppState,
    cookies: &CookieJar<'_>,
    csrf: &CsrfToken,
    typed: String,
    first: FirstFactor,
    meta: &RequestMeta,
) -> Result<Page, AppError> {
    let https = state.settings.https();
    let refused = |error: AppError| match error {
        AppError::TooMany { retry_after, message } => Ok(Page::limited(
            render(state, csrf.0.clone(), typed.clone(), Some(message), None),
            retry_after,
        )),
        other => Err(other),
    };
    let presented = device::read_browser_cookie(cookies, &state.keys, https, first.user.id);
    let decision =
        match sign_in::after_first_factor(state, &first, Channel::Web, presented.as_ref(), meta).await {
            Ok(decision) => decision,
            Err(error) => return refused(error),
        };
    // A cookie that no longer opens anything is dropped, so the browser stops sending it.
    if decision.stale_device {
        device::remove_browser_cookie(cookies, &state.keys, https, first.user.id);
    }
    let user = &first.user;
    match decision.next {
        Next::SignIn { factors, device_used } => {
            let started = sign_in::start(state, user, factors, Channel::Web, meta, device_used).await?;
            session::set_cookie(cookies, https, started.token);
            Ok(Page::see_other("/"))
        }
        Next::PhoneRequired => Ok(Page::WithStatus((
            Status::Forbidden,
            render(state, csrf.0.clone(), typed, Some(NO_PHONE.into()), None),
        ))),
        Next::Challenge {
            challenge, failure, ..
        } => {
            let token = sign_in::start_partial(
                state,
                user,
                SessionState::Pending,
                first.factors.clone(),
                Some(challenge.id),
                meta,
            )
            .await?;
            session::set_cookie(cookies, https, token);
            Ok(match failure {
                Some(error) => Page::Flash(Flash::error(Redirect::to("/login/verify"), error.user_message())),
                None => Page::see_other("/login/verify"),
            })
        }
        Next::SetupRequired { factors } => {
            let token = sign_in::start_partial(state, user, SessionState::Setup, factors, None, meta).await?;
            session::set_cookie(cookies, https, token);
            Ok(Page::see_other("/login/setup"))
        }
        Next::PasskeySetupRequired { factors } => {
            let token =
                sign_in::start_partial(state, user, SessionState::PasskeySetup, factors, None, meta).await?;
            session::set_cookie(cookies, https, token);
            Ok(Page::see_other("/login/passkey-setup"))
        }
    }
}

/// Ends the session (full or pending) on the server and forgets the cookie.
#[post("/logout", data = "<_form>")]
async fn logout(
    state: &State<AppState>,
    signed: MaybeSignedIn,
    cookies: &CookieJar<'_>,
    _form: CsrfChecked,
    meta: RequestMeta,
) -> Result<Redirect, AppError> {
    if let Some(signed) = signed.0 {
        password::logout(state, &signed, &meta).await?;
    }
    session::remove_cookie(cookies, state.settings.https());
    Ok(Redirect::to("/login?signed_out=true"))
}

pub fn routes() -> Vec<Route> {
    [
        routes![show, submit, logout],
        verify::routes(),
        setup::routes(),
        passkey::routes(),
        forgot::routes(),
        sso_routes::routes(),
    ]
    .concat()
}
