//! `/login` (the password step), `/login/verify` (the code), and `/logout`.

use entities::values::{Factor, Factors, SessionState};
use rocket::http::{CookieJar, Status};
use rocket::request::FlashMessage;
use rocket::response::{Flash, Redirect};
use rocket::{Route, State, get, post, routes};
use rocket_dyn_templates::Template;
use serde::Serialize;

use entities::{account, user};

use crate::auth::device::{self, Agent, KIND_BROWSER, NewRegistration};
use crate::auth::guards::{SetupLogin, SignedIn};
use crate::auth::session::{self, NewSession};
use crate::auth::{CsrfToken, MaybeSignedIn, PendingLogin, RequestMeta, SecureForm};
use crate::domain::phone::mask;
use crate::error::AppError;
use crate::services::audit::{self, Event};
use crate::services::two_factor::{self, Method, Methods, Requirement, Verification};
use crate::services::{authenticator, devices, login};
use crate::state::AppState;
use crate::views::Page;

pub const INVALID_CREDENTIALS: &str = "The user ID or password is incorrect.";
pub const NO_PHONE: &str = "Your practice requires a code texted to your phone at sign-in, but there is no phone number on file for you. Ask your account owner to add one.";
const NOT_OFFERED: &str = "That way of signing in is not available to you. Use one of the ways listed below.";

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
    if signed.0.is_some_and(|s| s.session.state == SessionState::Full) {
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
    // A live registration proves an earlier second factor, so the common sign-in needs no more
    // lookups; only when the owner requires the app does having one still matter.
    let device = if two_factor::wants_second_step(&account, &user) {
        registered_device(state, cookies, &user, &meta).await?
    } else {
        None
    };
    let device = match device {
        Some(used) if !two_factor::app_only(&account, &user) => {
            let token = login::start_session(
                state,
                &user,
                Factors::new(Factor::Password).and(Factor::Device),
                &meta,
                Some(used),
            )
            .await?;
            session::set_cookie(cookies, https, token);
            return Ok(Page::see_other("/"));
        }
        other => other,
    };
    match two_factor::requirement_for(state, &account, &user).await? {
        Requirement::NotRequired => {
            let token =
                login::start_session(state, &user, Factors::new(Factor::Password), &meta, None).await?;
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
        Requirement::Required(factors) => {
            if let Some(used) = device {
                let token = login::start_session(
                    state,
                    &user,
                    Factors::new(Factor::Password).and(Factor::Device),
                    &meta,
                    Some(used),
                )
                .await?;
                session::set_cookie(cookies, https, token);
                return Ok(Page::see_other("/"));
            }
            if factors.app {
                // The app comes first: nothing is texted unless the person asks.
                let challenge = two_factor::open_challenge(state, &user, "web").await?;
                start_partial(
                    state,
                    cookies,
                    &user,
                    (SessionState::Pending, Factors::new(Factor::Password)),
                    Some(challenge.id),
                    &meta,
                )
                .await?;
                return Ok(Page::see_other("/login/verify"));
            }
            send_first_code(state, cookies, &user, &account, &meta, csrf, typed).await
        }
        Requirement::SetupAuthenticator { sms_first } => {
            if let Some(used) = device {
                audit::record(&state.db, state.now(), used).await?;
                start_partial(
                    state,
                    cookies,
                    &user,
                    (
                        SessionState::Setup,
                        Factors::new(Factor::Password).and(Factor::Device),
                    ),
                    None,
                    &meta,
                )
                .await?;
                return Ok(Page::see_other("/login/setup"));
            }
            if sms_first {
                return send_first_code(state, cookies, &user, &account, &meta, csrf, typed).await;
            }
            start_partial(
                state,
                cookies,
                &user,
                (SessionState::Setup, Factors::new(Factor::Password)),
                None,
                &meta,
            )
            .await?;
            Ok(Page::see_other("/login/setup"))
        }
    }
}

/// A session short of a full one: `pending` (waiting on a challenge, opens only
/// `/login/verify*`) or `setup` (the app must be set up; its factors so far are kept for the
/// audit line at the end).
async fn start_partial(
    state: &AppState,
    cookies: &CookieJar<'_>,
    user: &user::Model,
    (session_state, factors): (SessionState, Factors),
    challenge_id: Option<i32>,
    meta: &RequestMeta,
) -> Result<(), AppError> {
    let (token, _) = session::create(
        &state.db,
        state.now(),
        NewSession {
            user_id: user.id,
            account_id: user.account_id,
            state: session_state,
            factors,
            challenge_id,
            ip: meta.ip.clone(),
            user_agent: meta.user_agent.clone(),
        },
    )
    .await?;
    session::set_cookie(cookies, state.settings.https(), token);
    Ok(())
}

/// Whether this browser holds a live registration for this user (its `device.used` event, to
/// record with the sign-in); a theft signal revokes it.
async fn registered_device(
    state: &AppState,
    cookies: &CookieJar<'_>,
    user: &user::Model,
    meta: &RequestMeta,
) -> Result<Option<Event<'static>>, AppError> {
    let https = state.settings.https();
    let token = device::read_browser_cookie(cookies, https, user.id);
    let registered = devices::check_at_sign_in(state, user, KIND_BROWSER, token.as_ref(), meta).await?;
    // A cookie that no longer opens anything is dropped, so the browser stops sending it.
    if token.is_some() && registered.is_none() {
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
    start_partial(
        state,
        cookies,
        user,
        (SessionState::Pending, Factors::new(Factor::Password)),
        Some(challenge.id),
        meta,
    )
    .await?;
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

/// Which form the verify page shows, and the other ways it offers.
struct VerifyView {
    method: Method,
    factors: Methods,
    texted: bool,
}

async fn verify_view(
    state: &AppState,
    pending: &SignedIn,
    challenge: &entities::challenge::Model,
    asked: Option<&str>,
) -> Result<VerifyView, AppError> {
    let factors = two_factor::factors_for(state, &pending.account, &pending.user).await?;
    let texted = challenge.sends > 0;
    let method = asked
        .and_then(Method::parse)
        .filter(|m| factors.allows(*m))
        .unwrap_or_else(|| factors.default_method(texted));
    Ok(VerifyView {
        method,
        factors,
        texted,
    })
}

#[derive(Serialize)]
struct VerifyPage {
    csrf_token: String,
    phone_hint: String,
    method: &'static str,
    texted: bool,
    offer_app: bool,
    offer_sms: bool,
    offer_recovery: bool,
    error: Option<String>,
    notice: Option<String>,
}

fn verify_page(
    pending: &SignedIn,
    view: &VerifyView,
    error: Option<String>,
    notice: Option<String>,
) -> Template {
    Template::render(
        "verify",
        VerifyPage {
            csrf_token: pending.session.csrf_token.clone(),
            phone_hint: pending.user.phone.as_deref().map(mask).unwrap_or_default(),
            method: view.method.as_str(),
            texted: view.texted,
            offer_app: view.factors.app,
            offer_sms: view.factors.sms,
            offer_recovery: view.factors.recovery,
            error,
            notice,
        },
    )
}

#[get("/login/verify?<method>")]
async fn verify_form(
    state: &State<AppState>,
    pending: Option<PendingLogin>,
    flash: Option<FlashMessage<'_>>,
    method: Option<&str>,
) -> Result<Page, AppError> {
    let Some(PendingLogin(pending)) = pending else {
        return Ok(Page::see_other("/login"));
    };
    let Some(challenge) = pending_challenge(state, &pending).await? else {
        return Ok(Page::see_other("/login"));
    };
    let view = verify_view(state, &pending, &challenge, method).await?;
    let (error, notice) = match flash {
        Some(f) if f.kind() == "error" => (Some(f.message().to_string()), None),
        Some(f) => (None, Some(f.message().to_string())),
        None => (None, None),
    };
    Ok(Page::Html(verify_page(&pending, &view, error, notice)))
}

/// Registers this browser for the person (after a second factor passed) and sets its cookie.
async fn register_browser(
    state: &AppState,
    cookies: &CookieJar<'_>,
    signed: &SignedIn,
    meta: &RequestMeta,
) -> Result<(), AppError> {
    let now = state.now();
    let agent = Agent::parse(meta.user_agent.as_deref());
    let (device_token, registration) = device::register(
        &state.db,
        now,
        NewRegistration {
            user_id: signed.user.id,
            account_id: signed.user.account_id,
            kind: KIND_BROWSER,
            agent: &agent,
            label: agent.label(),
            ip: meta.ip.clone(),
            days: signed.account.device_days,
        },
    )
    .await?;
    audit::record(
        &state.db,
        now,
        Event::new("device.registered", "success")
            .account(signed.user.account_id)
            .actor(signed.user.id)
            .subject(format!("user {}", signed.user.id))
            .ip(meta.ip.clone())
            .details(format!("device {} ({})", registration.id, registration.label)),
    )
    .await?;
    device::set_browser_cookie(
        cookies,
        state.settings.https(),
        signed.user.id,
        &device_token,
        signed.account.device_days,
    );
    Ok(())
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
    let asked = Some(form.get("method")).filter(|m| !m.is_empty());
    let view = verify_view(state, &pending, &challenge, asked).await?;
    if asked.is_some_and(|m| Method::parse(m) != Some(view.method)) {
        return Ok(Page::WithStatus((
            Status::UnprocessableEntity,
            verify_page(&pending, &view, Some(NOT_OFFERED.into()), None),
        )));
    }
    match two_factor::verify(state, &challenge, &pending.user, view.method, form.get("code")).await? {
        Verification::Accepted => {
            session::delete(&state.db, pending.session.id).await?;
            let setup_needed = matches!(
                two_factor::requirement_for(state, &pending.account, &pending.user).await?,
                Requirement::SetupAuthenticator { .. }
            );
            let factors = Factors::new(Factor::Password).and(view.method.factor());
            if setup_needed {
                // The browser is registered once the app is set up too.
                start_partial(state, cookies, &pending.user, (SessionState::Setup, factors.clone()), None, &meta).await?;
                return Ok(Page::see_other("/login/setup"));
            }
            register_browser(state, cookies, &pending, &meta).await?;
            // SECURITY: rotation again after the code step.
            let token = login::start_session(state, &pending.user, factors, &meta, None).await?;
            session::set_cookie(cookies, https, token);
            Ok(Page::see_other("/"))
        }
        Verification::Wrong { tries_left, reused } => {
            let what = match view.method {
                Method::Sms => "That code is not right. Check the latest text and try again",
                Method::App if reused => "That code was already used. Wait for the next code in your app and enter it",
                Method::App => "That code is not right. Enter the code your app shows for Outcomes now",
                Method::Recovery => "That recovery code is not right, or it was already used. Try another one",
            };
            let message = if tries_left > 0 {
                format!("{what} ({tries_left} tries left).")
            } else {
                "That code is not right, and this sign-in has no tries left. Sign in again to try once more.".to_string()
            };
            Ok(Page::WithStatus((
                Status::UnprocessableEntity,
                verify_page(&pending, &view, Some(message), None),
            )))
        }
        Verification::Dead => Ok(Page::WithStatus((
            Status::Gone,
            verify_page(
                &pending,
                &view,
                Some("This sign-in can no longer be completed: it expired, was already used, or had too many wrong tries. Sign in again.".into()),
                None,
            ),
        ))),
        Verification::Locked { until } => {
            let minutes = ((until - state.now()) + 59) / 60;
            let message = format!("Too many wrong codes. Sign-in codes are locked for {minutes} more minutes; your account owner has been told.");
            Ok(Page::limited(verify_page(&pending, &view, Some(message), None), until - state.now()))
        }
    }
}

/// "Send a new code", and for someone with an app "Text me a code instead" (the first text).
#[post("/login/verify/resend", data = "<_form>")]
async fn resend(state: &State<AppState>, pending: PendingLogin, _form: SecureForm) -> Result<Page, AppError> {
    let PendingLogin(pending) = pending;
    let Some(challenge) = pending_challenge(state, &pending).await? else {
        return Ok(Page::see_other("/login"));
    };
    let view = verify_view(state, &pending, &challenge, Some("sms")).await?;
    if !view.factors.sms {
        return Ok(Page::WithStatus((
            Status::Forbidden,
            verify_page(
                &pending,
                &view,
                Some("Your practice does not allow texted codes for you. Use your authenticator app or a recovery code.".into()),
                None,
            ),
        )));
    }
    let first = challenge.sends == 0;
    match two_factor::resend(state, &challenge, &pending.user, &pending.account).await {
        Ok(None) => {
            // The pending state lasts as long as the newest code.
            session::extend_pending(&state.db, pending.session.id, state.now()).await?;
            let message = if first {
                "A code is on its way to your phone."
            } else {
                "A new code is on its way. Earlier codes no longer work."
            };
            Ok(Page::Flash(Flash::success(
                Redirect::to("/login/verify?method=sms"),
                message,
            )))
        }
        Ok(Some(error)) => Ok(Page::Flash(Flash::error(
            Redirect::to("/login/verify?method=sms"),
            error.user_message(),
        ))),
        Err(AppError::TooMany { retry_after, message }) => Ok(Page::limited(
            verify_page(&pending, &view, Some(message), None),
            retry_after,
        )),
        Err(AppError::BadRequest(message)) => Ok(Page::WithStatus((
            Status::Gone,
            verify_page(&pending, &view, Some(message), None),
        ))),
        Err(other) => Err(other),
    }
}

#[derive(Serialize)]
struct SetupPage {
    csrf_token: String,
    action: &'static str,
    secret_text: String,
    otpauth_url: String,
    qr_svg: String,
    error: Option<String>,
    layout: Option<crate::views::Layout>,
}

/// The app set-up page, for the sign-in walk-through and the Security page alike.
pub async fn setup_page(
    state: &AppState,
    signed: &SignedIn,
    action: &'static str,
    layout: Option<crate::views::Layout>,
    error: Option<String>,
) -> Result<Template, AppError> {
    let model = authenticator::setup_in_progress(state, &signed.user).await?;
    let view = authenticator::setup_view(state, &signed.user, &model)?;
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
    if authenticator::confirmed(&state.db, setup.user.id)
        .await?
        .is_none()
    {
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

/// The first code from the new app: the app is set up, the browser registered, and the
/// recovery codes shown once.
#[post("/login/setup", data = "<form>")]
async fn setup_confirm(
    state: &State<AppState>,
    setup: SetupLogin,
    cookies: &CookieJar<'_>,
    form: SecureForm,
    meta: RequestMeta,
) -> Result<Page, AppError> {
    let SetupLogin(setup) = setup;
    if !setup_still_needed(state, &setup).await? {
        return Ok(Page::see_other("/login"));
    }
    let Some(codes) =
        authenticator::confirm_setup(state, &setup.user, form.get("code"), meta.ip.clone()).await?
    else {
        let page = setup_page(state, &setup, "/login/setup", None, Some(WRONG_SETUP_CODE.into())).await?;
        return Ok(Page::WithStatus((Status::UnprocessableEntity, page)));
    };
    session::delete(&state.db, setup.session.id).await?;
    if !setup.session.factors.contains(Factor::Device) {
        register_browser(state, cookies, &setup, &meta).await?;
    }
    let factors = setup.session.factors.clone().and(Factor::App);
    let token = login::start_session(state, &setup.user, factors, &meta, None).await?;
    session::set_cookie(cookies, state.settings.https(), token);
    Ok(Page::Html(recovery_codes_page(None, codes, "/")))
}

#[derive(Serialize)]
struct RecoveryCodesPage {
    layout: Option<crate::views::Layout>,
    codes: Vec<String>,
    download: String,
    next: &'static str,
}

/// The recovery codes, shown this once, with a plain-text download made in the page itself
/// (the server keeps only their hashes).
pub fn recovery_codes_page(
    layout: Option<crate::views::Layout>,
    codes: Vec<String>,
    next: &'static str,
) -> Template {
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
    routes![
        show,
        submit,
        verify_form,
        verify,
        resend,
        setup_form,
        setup_confirm,
        logout
    ]
}
