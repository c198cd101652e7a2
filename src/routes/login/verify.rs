//! `/login/verify`: the second step of a pending sign-in — a texted code, an app code or a
//! recovery code — and "send a new code".

use rocket::form::Contextual;
use rocket::http::{CookieJar, Status};
use rocket::request::FlashMessage;
use rocket::response::{Flash, Redirect};
use rocket::{FromForm, Route, State, get, post, routes};
use rocket_dyn_templates::Template;
use serde::Serialize;

use crate::auth::guards::SignedIn;
use crate::auth::{CsrfChecked, CsrfForm, PendingLogin, RequestMeta, device, session};
use crate::domain::SessionState;
use crate::domain::phone::mask;
use crate::error::AppError;
use crate::routes::fields::Optional;
use crate::services::second_step::{self, Challenge, Method, Methods};
use crate::services::sign_in::{self, Channel, Completion, PendingSignIn};
use crate::state::AppState;
use crate::views::Page;

const NOT_OFFERED: &str = "That way of signing in is not available to you. Use one of the ways listed below.";

/// The challenge a pending sign-in waits on (none: start again from the password).
async fn pending_challenge(state: &AppState, pending: &SignedIn) -> Result<Option<Challenge>, AppError> {
    match pending.session.challenge_id {
        Some(id) => second_step::find_challenge(state, id).await,
        None => Ok(None),
    }
}

fn pending_sign_in<'a>(pending: &'a SignedIn, challenge: &'a Challenge) -> PendingSignIn<'a> {
    PendingSignIn {
        user: &pending.user,
        account: &pending.account,
        challenge,
        factors: &pending.session.factors,
    }
}

/// Which form the verify page shows, and the other ways it offers.
struct VerifyView {
    method: Method,
    methods: Methods,
    texted: bool,
}

/// The view for `asked` when it is offered, otherwise for the default method (and whether
/// `asked` was refused).
async fn verify_view(
    state: &AppState,
    pending: &SignedIn,
    challenge: &Challenge,
    asked: Option<Method>,
) -> Result<(VerifyView, bool), AppError> {
    let texted = challenge.sends > 0;
    let chosen = sign_in::choose_method(state, &pending_sign_in(pending, challenge), asked).await?;
    Ok(match chosen {
        Ok((method, methods)) => (
            VerifyView {
                method,
                methods,
                texted,
            },
            false,
        ),
        Err(methods) => (
            VerifyView {
                method: methods.default_method(texted),
                methods,
                texted,
            },
            true,
        ),
    })
}

#[derive(Serialize)]
struct VerifyPage {
    csrf_token: String,
    phone_hint: String,
    method: &'static str,
    texted: bool,
    offer_passkey: bool,
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
            offer_passkey: view.methods.passkey,
            offer_app: view.methods.app,
            offer_sms: view.methods.sms,
            offer_recovery: view.methods.recovery,
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
    // A way the person may not use just shows the default one.
    let (view, _) = verify_view(state, &pending, &challenge, method.and_then(Method::parse)).await?;
    let (error, notice) = match flash {
        Some(f) if f.kind() == "error" => (Some(f.message().to_string()), None),
        Some(f) => (None, Some(f.message().to_string())),
        None => (None, None),
    };
    Ok(Page::Html(verify_page(&pending, &view, error, notice)))
}

#[derive(FromForm)]
struct CodeForm<'r> {
    #[field(default = "")]
    code: &'r str,
    method: Optional<Method>,
}

#[post("/login/verify", data = "<form>")]
async fn verify(
    state: &State<AppState>,
    pending: PendingLogin,
    cookies: &CookieJar<'_>,
    form: CsrfForm<Contextual<'_, CodeForm<'_>>>,
    meta: RequestMeta,
) -> Result<Page, AppError> {
    let PendingLogin(pending) = pending;
    let Some(challenge) = pending_challenge(state, &pending).await? else {
        return Ok(Page::see_other("/login"));
    };
    let CsrfForm(form) = form;
    let (asked, code, unreadable) = match form.value {
        Some(input) => (input.method.into_inner(), input.code, false),
        None => (None, "", true),
    };
    let (view, refused) = verify_view(state, &pending, &challenge, asked).await?;
    if refused || unreadable {
        return Ok(Page::WithStatus((
            Status::UnprocessableEntity,
            verify_page(&pending, &view, Some(NOT_OFFERED.into()), None),
        )));
    }
    let https = state.settings.https();
    let completion = sign_in::complete_second_step(
        state,
        &pending_sign_in(&pending, &challenge),
        Channel::Web,
        view.method,
        code,
        &meta,
    )
    .await?;
    match completion {
        Completion::SignIn { factors } => {
            session::delete(&state.db, pending.session.id).await?;
            let finished = sign_in::finish(state, &pending.user, &pending.account, factors, Channel::Web, &meta).await?;
            if let Some(registered) = &finished.device {
                device::set_browser_cookie(cookies, &state.keys, https, pending.user.id, registered, pending.account.device_days);
            }
            // SECURITY: rotation again after the code step.
            session::set_cookie(cookies, https, finished.started.token);
            Ok(Page::see_other("/"))
        }
        Completion::PasskeySetupRequired { factors } => {
            session::delete(&state.db, pending.session.id).await?;
            let token =
                sign_in::start_partial(state, &pending.user, SessionState::PasskeySetup, factors, None, &meta).await?;
            session::set_cookie(cookies, https, token);
            Ok(Page::see_other("/login/passkey-setup"))
        }
        Completion::SetupRequired { factors } => {
            session::delete(&state.db, pending.session.id).await?;
            // The browser is registered once the app is set up too.
            let token = sign_in::start_partial(state, &pending.user, SessionState::Setup, factors, None, &meta).await?;
            session::set_cookie(cookies, https, token);
            Ok(Page::see_other("/login/setup"))
        }
        Completion::Wrong { tries_left, reused } => {
            let what = match view.method {
                Method::Passkey => "That passkey could not be checked. Try it again, or use another way below",
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
        Completion::Dead => Ok(Page::WithStatus((
            Status::Gone,
            verify_page(
                &pending,
                &view,
                Some("This sign-in can no longer be completed: it expired, was already used, or had too many wrong tries. Sign in again.".into()),
                None,
            ),
        ))),
        Completion::Locked { until } => {
            let minutes = ((until - state.now()) + 59) / 60;
            let message = format!(
                "Too many wrong codes. Sign-in codes are locked for {minutes} more minutes; your account owner has been told."
            );
            Ok(Page::limited(
                verify_page(&pending, &view, Some(message), None),
                until - state.now(),
            ))
        }
    }
}

/// "Send a new code", and for someone with an app "Text me a code instead" (the first text).
#[post("/login/verify/resend", data = "<_form>")]
async fn resend(
    state: &State<AppState>,
    pending: PendingLogin,
    _form: CsrfChecked,
    meta: RequestMeta,
) -> Result<Page, AppError> {
    let PendingLogin(pending) = pending;
    let Some(challenge) = pending_challenge(state, &pending).await? else {
        return Ok(Page::see_other("/login"));
    };
    let (view, _) = verify_view(state, &pending, &challenge, Some(Method::Sms)).await?;
    if !view.methods.sms {
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
    match second_step::resend(
        state,
        &challenge,
        &pending.user,
        &pending.account,
        meta.ip.as_deref(),
    )
    .await
    {
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

pub fn routes() -> Vec<Route> {
    routes![verify_form, verify, resend]
}
