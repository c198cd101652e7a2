//! `/login` (the password step), `/login/verify` (the code), and `/logout`.

use rocket::http::{CookieJar, Status};
use rocket::request::FlashMessage;
use rocket::response::{Flash, Redirect};
use rocket::{Route, State, get, post, routes};
use rocket_dyn_templates::Template;
use serde::Serialize;

use entities::{account, user};

use crate::auth::device::{self, Agent, KIND_BROWSER, NewRegistration};
use crate::auth::guards::SignedIn;
use crate::auth::session::{self, NewSession, STATE_PENDING};
use crate::auth::{CsrfToken, MaybeSignedIn, PendingLogin, RequestMeta, SecureForm};
use crate::domain::phone::mask;
use crate::error::AppError;
use crate::services::audit::{self, Event};
use crate::services::two_factor::{self, Requirement, Verification};
use crate::services::{devices, login};
use crate::state::AppState;
use crate::views::Page;

pub const INVALID_CREDENTIALS: &str = "The user ID or password is incorrect.";
pub const NO_PHONE: &str = "Your practice requires a code texted to your phone at sign-in, but there is no phone number on file for you. Ask your account owner to add one.";

#[derive(Serialize)]
struct LoginPage {
    csrf_token: String,
    user_id: String,
    error: Option<String>,
    notice: Option<&'static str>,
}

fn render(csrf: String, user_id: String, error: Option<String>, notice: Option<&'static str>) -> Template {
    Template::render(
        "login",
        LoginPage {
            csrf_token: csrf,
            user_id,
            error,
            notice,
        },
    )
}

#[get("/login?<signed_up>&<signed_out>")]
fn show(signed: MaybeSignedIn, csrf: CsrfToken, signed_up: Option<bool>, signed_out: Option<bool>) -> Page {
    if signed.0.is_some_and(|s| s.session.state == session::STATE_FULL) {
        return Page::see_other("/");
    }
    let notice = if signed_up == Some(true) {
        Some("Your practice is set up. Sign in with the user ID and password you chose.")
    } else if signed_out == Some(true) {
        Some("You are signed out.")
    } else {
        None
    };
    Page::Html(render(csrf.0, String::new(), None, notice))
}

#[post("/login", data = "<form>")]
async fn submit(
    state: &State<AppState>,
    signed: MaybeSignedIn,
    cookies: &CookieJar<'_>,
    form: SecureForm,
    meta: RequestMeta,
) -> Result<Page, AppError> {
    let https = state.settings.https();
    let csrf = form.get("csrf_token").to_string();
    let typed: String = form.get("user_id").chars().take(200).collect();
    let checked = match login::check_password(state, form.get("user_id"), form.get("password"), &meta).await {
        Ok(checked) => checked,
        Err(AppError::TooMany { retry_after, message }) => {
            return Ok(Page::limited(
                render(csrf, typed, Some(message), None),
                retry_after,
            ));
        }
        Err(other) => return Err(other),
    };
    let Some((user, account)) = checked else {
        return Ok(Page::WithStatus((
            Status::Unauthorized,
            render(csrf, typed, Some(INVALID_CREDENTIALS.into()), None),
        )));
    };
    // SECURITY: rotation — whatever session this browser had is replaced by a new token.
    if let Some(previous) = signed.0 {
        session::delete(&state.db, previous.session.id).await?;
    }
    match two_factor::requirement(&account, &user) {
        Requirement::NotRequired => {
            let token = login::start_session(state, &user, "password", &meta).await?;
            session::set_cookie(cookies, https, token);
            Ok(Page::see_other("/"))
        }
        Requirement::RequiredWithoutPhone => {
            audit::record(
                &state.db,
                state.now(),
                Event::new("login.refused", "failure")
                    .account(account.id)
                    .subject(format!("user {}", user.id))
                    .ip(meta.ip.clone())
                    .details("second step required but no phone on file"),
            )
            .await?;
            Ok(Page::WithStatus((
                Status::Forbidden,
                render(csrf, typed, Some(NO_PHONE.into()), None),
            )))
        }
        Requirement::Required => {
            if registered_device(state, cookies, &user, &meta).await? {
                let token = login::start_session(state, &user, "password+device", &meta).await?;
                session::set_cookie(cookies, https, token);
                return Ok(Page::see_other("/"));
            }
            send_first_code(state, cookies, &user, &account, &meta, csrf, typed).await
        }
    }
}

/// Whether this browser holds a live registration for this user; a theft signal revokes it.
async fn registered_device(
    state: &AppState,
    cookies: &CookieJar<'_>,
    user: &user::Model,
    meta: &RequestMeta,
) -> Result<bool, AppError> {
    let https = state.settings.https();
    let token = device::read_browser_cookie(cookies, https, user.id);
    let registered = devices::check_at_sign_in(state, user, KIND_BROWSER, token.as_ref(), meta).await?;
    // A cookie that no longer opens anything is dropped, so the browser stops sending it.
    if token.is_some() && !registered {
        device::remove_browser_cookie(cookies, https, user.id);
    }
    Ok(registered)
}

async fn send_first_code(
    state: &AppState,
    cookies: &CookieJar<'_>,
    user: &user::Model,
    account: &account::Model,
    meta: &RequestMeta,
    csrf: String,
    typed: String,
) -> Result<Page, AppError> {
    let (challenge, failure) = match two_factor::start_challenge(state, user, account, "web").await {
        Ok(started) => started,
        Err(AppError::TooMany { retry_after, message }) => {
            return Ok(Page::limited(
                render(csrf, typed, Some(message), None),
                retry_after,
            ));
        }
        Err(other) => return Err(other),
    };
    let (token, _) = session::create(
        &state.db,
        state.now(),
        NewSession {
            user_id: user.id,
            account_id: user.account_id,
            state: STATE_PENDING,
            factors: "password",
            challenge_id: Some(challenge.id),
            ip: meta.ip.clone(),
            user_agent: meta.user_agent.clone(),
        },
    )
    .await?;
    session::set_cookie(cookies, state.settings.https(), token);
    Ok(match failure {
        Some(error) => Page::Flash(Flash::error(Redirect::to("/login/verify"), error.user_message())),
        None => Page::see_other("/login/verify"),
    })
}

/// The challenge a pending sign-in waits on (none: start again from the password).
async fn pending_challenge(
    state: &AppState,
    pending: &SignedIn,
) -> Result<Option<entities::challenge::Model>, AppError> {
    match pending.session.challenge_id {
        Some(id) => two_factor::find_challenge(state, id).await,
        None => Ok(None),
    }
}

#[derive(Serialize)]
struct VerifyPage {
    csrf_token: String,
    phone_hint: String,
    error: Option<String>,
    notice: Option<String>,
}

fn verify_page(pending: &SignedIn, error: Option<String>, notice: Option<String>) -> Template {
    Template::render(
        "verify",
        VerifyPage {
            csrf_token: pending.session.csrf_token.clone(),
            phone_hint: pending.user.phone.as_deref().map(mask).unwrap_or_default(),
            error,
            notice,
        },
    )
}

#[get("/login/verify")]
fn verify_form(pending: Option<PendingLogin>, flash: Option<FlashMessage<'_>>) -> Page {
    let Some(PendingLogin(pending)) = pending else {
        return Page::see_other("/login");
    };
    let (error, notice) = match flash {
        Some(f) if f.kind() == "error" => (Some(f.message().to_string()), None),
        Some(f) => (None, Some(f.message().to_string())),
        None => (None, None),
    };
    Page::Html(verify_page(&pending, error, notice))
}

#[post("/login/verify", data = "<form>")]
async fn verify(
    state: &State<AppState>,
    pending: PendingLogin,
    cookies: &CookieJar<'_>,
    form: SecureForm,
    meta: RequestMeta,
) -> Result<Page, AppError> {
    let PendingLogin(pending) = pending;
    let Some(challenge) = pending_challenge(state, &pending).await? else {
        return Ok(Page::see_other("/login"));
    };
    let https = state.settings.https();
    match two_factor::verify(state, &challenge, &pending.user, form.get("code")).await? {
        Verification::Accepted => {
            session::delete(&state.db, pending.session.id).await?;
            let now = state.now();
            let agent = Agent::parse(meta.user_agent.as_deref());
            let (device_token, registration) = device::register(
                &state.db,
                now,
                NewRegistration {
                    user_id: pending.user.id,
                    account_id: pending.user.account_id,
                    kind: KIND_BROWSER,
                    agent: &agent,
                    label: agent.label(),
                    ip: meta.ip.clone(),
                    days: pending.account.device_days,
                },
            )
            .await?;
            audit::record(
                &state.db,
                now,
                Event::new("device.registered", "success")
                    .account(pending.user.account_id)
                    .actor(pending.user.id)
                    .subject(format!("user {}", pending.user.id))
                    .ip(meta.ip.clone())
                    .details(format!("device {} ({})", registration.id, registration.label)),
            )
            .await?;
            device::set_browser_cookie(cookies, https, pending.user.id, &device_token, pending.account.device_days);
            // SECURITY: rotation again after the code step.
            let token = login::start_session(state, &pending.user, "password+sms", &meta).await?;
            session::set_cookie(cookies, https, token);
            Ok(Page::see_other("/"))
        }
        Verification::Wrong { tries_left } => {
            let message = if tries_left > 0 {
                format!("That code is not right. Check the latest text and try again ({tries_left} tries left).")
            } else {
                "That code is not right, and this sign-in has no tries left. Sign in again to get a new code.".to_string()
            };
            Ok(Page::WithStatus((Status::UnprocessableEntity, verify_page(&pending, Some(message), None))))
        }
        Verification::Dead => Ok(Page::WithStatus((
            Status::Gone,
            verify_page(
                &pending,
                Some("This code can no longer be used: it expired, was already used, or had too many wrong tries. Sign in again to get a new code.".into()),
                None,
            ),
        ))),
        Verification::Locked { until } => {
            let minutes = ((until - state.now()) + 59) / 60;
            let message = format!("Too many wrong codes. Sign-in codes are locked for {minutes} more minutes; your account owner has been told.");
            Ok(Page::limited(verify_page(&pending, Some(message), None), until - state.now()))
        }
    }
}

#[post("/login/verify/resend", data = "<_form>")]
async fn resend(state: &State<AppState>, pending: PendingLogin, _form: SecureForm) -> Result<Page, AppError> {
    let PendingLogin(pending) = pending;
    let Some(challenge) = pending_challenge(state, &pending).await? else {
        return Ok(Page::see_other("/login"));
    };
    match two_factor::resend(state, &challenge, &pending.user, &pending.account).await {
        Ok(None) => {
            // The pending state lasts as long as the newest code.
            session::extend_pending(&state.db, pending.session.id, state.now()).await?;
            Ok(Page::Flash(Flash::success(
                Redirect::to("/login/verify"),
                "A new code is on its way. Earlier codes no longer work.",
            )))
        }
        Ok(Some(error)) => Ok(Page::Flash(Flash::error(
            Redirect::to("/login/verify"),
            error.user_message(),
        ))),
        Err(AppError::TooMany { retry_after, message }) => Ok(Page::limited(
            verify_page(&pending, Some(message), None),
            retry_after,
        )),
        Err(AppError::BadRequest(message)) => Ok(Page::WithStatus((
            Status::Gone,
            verify_page(&pending, Some(message), None),
        ))),
        Err(other) => Err(other),
    }
}

/// Ends the session (full or pending) on the server and forgets the cookie.
#[post("/logout", data = "<_form>")]
async fn logout(
    state: &State<AppState>,
    signed: MaybeSignedIn,
    cookies: &CookieJar<'_>,
    _form: SecureForm,
    meta: RequestMeta,
) -> Result<Redirect, AppError> {
    if let Some(signed) = signed.0 {
        login::logout(state, &signed, &meta).await?;
    }
    session::remove_cookie(cookies, state.settings.https());
    Ok(Redirect::to("/login?signed_out=true"))
}

pub fn routes() -> Vec<Route> {
    routes![show, submit, verify_form, verify, resend, logout]
}
