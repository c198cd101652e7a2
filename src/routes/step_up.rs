//! Step-up for sensitive actions (SPEC §2.2): the list of those actions, a fairing that sends a
//! request for one without a fresh second step to `/step-up` (keeping a posted form), and the
//! `/step-up` page with the same factors as `/login/verify`.

use rocket::fairing::{Fairing, Info, Kind};
use rocket::form::Contextual;
use rocket::http::{Method as HttpMethod, Status};
use rocket::request::{FlashMessage, FromRequest, Outcome};
use rocket::response::{Flash, Redirect};
use rocket::serde::json::Json;
use rocket::{Data, FromForm, Request, Route, State, get, post, routes};
use rocket_dyn_templates::Template;
use serde::Serialize;
use serde_json::Value;

use crate::auth::guards::lookup;
use crate::auth::{CsrfChecked, CsrfForm, CsrfHeader, CurrentUser, RequestMeta, read_checked_pairs};
use crate::domain::SessionState;
use crate::error::AppError;
use crate::routes::api::ApiResult;
use crate::routes::fields::Optional;
use crate::services::second_step::{self, Method, Verification, passkey};
use crate::services::sign_in::step_up;
use crate::state::AppState;
use crate::views::{Layout, Page};

/// The sensitive actions of SPEC §2.2: saving Options, creating or changing staff, resetting
/// someone's second factors, and the two exports.
fn is_sensitive(method: HttpMethod, path: &str) -> bool {
    let parts: Vec<&str> = path.trim_end_matches('/').split('/').skip(1).collect();
    let id = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    match (method, parts.as_slice()) {
        (HttpMethod::Get, ["export.csv" | "audit.csv"])
        | (HttpMethod::Post, ["options"] | ["options", "sso" | "telehealth"] | ["staff", "new"]) => true,
        (
            HttpMethod::Post,
            ["staff", n]
            | ["staff", n, "activate" | "deactivate"]
            | ["staff" | "clients", n, "two-factor", "reset"],
        ) => id(n),
        _ => false,
    }
}

/// A local path to come back to (never another site).
fn local(next: &str) -> String {
    if next.starts_with('/') && !next.starts_with("//") && !next.contains(['\r', '\n', '\\']) {
        next.to_string()
    } else {
        "/".to_string()
    }
}

/// Sends a sensitive request without a fresh second step to the step-up: a GET to the page, a
/// POST (its body still unread) to `/step-up/keep`, which keeps the form for afterwards.
pub struct StepUpFairing;

#[rocket::async_trait]
impl Fairing for StepUpFairing {
    fn info(&self) -> Info {
        Info {
            name: "Step-up for sensitive actions",
            kind: Kind::Request,
        }
    }

    async fn on_request(&self, request: &mut Request<'_>, _: &mut Data<'_>) {
        let method = request.method();
        let target = request.uri().to_string();
        if !is_sensitive(method, request.uri().path().as_str()) {
            return;
        }
        let Some(state) = request.rocket().state::<AppState>() else {
            return;
        };
        // Not signed in (or no database): the route's own guards answer.
        let Ok(Some(signed)) = lookup(request).await else {
            return;
        };
        if signed.session.state != SessionState::Full {
            return;
        }
        match step_up::is_fresh(state, &signed).await {
            Ok(true) | Err(_) => return,
            Ok(false) => {}
        }
        let next = url::form_urlencoded::byte_serialize(target.as_bytes()).collect::<String>();
        let rewritten = match method {
            HttpMethod::Post => format!("/step-up/keep?next={next}"),
            _ => format!("/step-up/needed?next={next}"),
        };
        if let Ok(uri) = rocket::http::uri::Origin::parse_owned(rewritten) {
            request.set_uri(uri);
        }
    }
}

#[get("/step-up/needed?<next>")]
fn needed(next: &str) -> Redirect {
    let next = url::form_urlencoded::byte_serialize(local(next).as_bytes()).collect::<String>();
    Redirect::to(format!("/step-up?next={next}"))
}

/// The body of a sensitive form posted without a fresh second step, kept (CSRF-checked) until
/// the person has stepped up.
pub struct KeptBody(String);

#[rocket::async_trait]
impl<'r> rocket::data::FromData<'r> for KeptBody {
    type Error = ();

    async fn from_data(request: &'r Request<'_>, data: Data<'r>) -> rocket::data::Outcome<'r, Self> {
        match read_checked_pairs(request, data).await {
            Ok(pairs) => {
                let body = url::form_urlencoded::Serializer::new(String::new())
                    .extend_pairs(pairs.iter().filter(|(name, _)| name != "csrf_token"))
                    .finish();
                rocket::outcome::Outcome::Success(Self(body))
            }
            Err(status) => rocket::outcome::Outcome::Error((status, ())),
        }
    }
}

#[post("/step-up/keep?<next>", data = "<body>")]
async fn keep(
    state: &State<AppState>,
    user: CurrentUser,
    next: &str,
    body: KeptBody,
) -> Result<Redirect, AppError> {
    let id = step_up::keep(state, &user, &local(next), body.0).await?;
    Ok(Redirect::to(format!("/step-up?next=/step-up/resume/{id}")))
}

#[derive(Serialize)]
struct StepUpPage {
    layout: Layout,
    next: String,
    method: &'static str,
    texted: bool,
    phone_hint: String,
    offer_passkey: bool,
    offer_app: bool,
    offer_sms: bool,
    offer_recovery: bool,
    error: Option<String>,
    notice: Option<String>,
}

async fn page(
    state: &AppState,
    user: &CurrentUser,
    next: &str,
    asked: Option<Method>,
    error: Option<String>,
    notice: Option<String>,
) -> Result<(Template, Method), AppError> {
    let methods = step_up::methods(state, user).await?;
    let challenge = step_up::challenge(state, user).await?;
    let texted = challenge.sends > 0;
    let method = asked
        .filter(|m| methods.allows(*m))
        .unwrap_or_else(|| methods.default_method(texted));
    let template = Template::render(
        "step_up",
        StepUpPage {
            layout: Layout::new(user, "Confirm it is you"),
            next: local(next),
            method: method.as_str(),
            texted,
            phone_hint: user
                .user
                .phone
                .as_deref()
                .map(crate::domain::phone::mask)
                .unwrap_or_default(),
            offer_passkey: methods.passkey,
            offer_app: methods.app,
            offer_sms: methods.sms,
            offer_recovery: methods.recovery,
            error,
            notice,
        },
    );
    Ok((template, method))
}

#[get("/step-up?<next>&<method>")]
async fn show(
    state: &State<AppState>,
    user: CurrentUser,
    next: Option<&str>,
    method: Option<&str>,
    flash: Option<FlashMessage<'_>>,
) -> Result<Page, AppError> {
    let next = next.unwrap_or("/");
    if step_up::is_fresh(state, &user).await? {
        return Ok(Page::see_other(local(next)));
    }
    let (error, notice) = match flash {
        Some(f) if f.kind() == "error" => (Some(f.message().to_string()), None),
        Some(f) => (None, Some(f.message().to_string())),
        None => (None, None),
    };
    let (template, _) = page(state, &user, next, method.and_then(Method::parse), error, notice).await?;
    Ok(Page::Html(template))
}

#[derive(FromForm)]
struct StepUpForm<'r> {
    #[field(default = "")]
    code: &'r str,
    method: Optional<Method>,
    #[field(default = "/")]
    next: &'r str,
}

#[post("/step-up", data = "<form>")]
async fn verify(
    state: &State<AppState>,
    user: CurrentUser,
    form: CsrfForm<Contextual<'_, StepUpForm<'_>>>,
    meta: RequestMeta,
) -> Result<Page, AppError> {
    let CsrfForm(form) = form;
    let Some(input) = form.value else {
        return Err(AppError::BadRequest("Choose one of the ways offered.".into()));
    };
    let next = local(input.next);
    let asked = input.method.into_inner();
    let methods = step_up::methods(state, &user).await?;
    let challenge = step_up::challenge(state, &user).await?;
    let refused = |method: Option<Method>, message: String| {
        let next = next.clone();
        let user = &user;
        async move {
            let (page, _) = page(state, user, &next, method, Some(message), None).await?;
            Ok::<Page, AppError>(Page::WithStatus((Status::UnprocessableEntity, page)))
        }
    };
    let method = match asked {
        Some(method) if methods.allows(method) => method,
        Some(_) => return refused(None, "That way is not available to you.".into()).await,
        None => methods.default_method(challenge.sends > 0),
    };
    match step_up::verify(state, &user, &challenge, method, input.code, &meta).await? {
        Verification::Accepted => Ok(Page::see_other(next.clone())),
        Verification::Wrong { tries_left, .. } if tries_left > 0 => {
            refused(
                Some(method),
                format!("That is not right ({tries_left} tries left)."),
            )
            .await
        }
        Verification::Wrong { .. } | Verification::Dead => {
            refused(
                Some(method),
                "That did not work and this request has no tries left. Try again for a new one.".into(),
            )
            .await
        }
        Verification::Locked { until } => {
            let minutes = ((until - state.now()) + 59) / 60;
            refused(
                Some(method),
                format!("Too many wrong codes. Codes are locked for {minutes} more minutes."),
            )
            .await
        }
    }
}

/// "Text me a code" on the step-up page.
#[post("/step-up/resend?<next>", data = "<_form>")]
async fn resend(
    state: &State<AppState>,
    user: CurrentUser,
    next: Option<&str>,
    _form: CsrfChecked,
    meta: RequestMeta,
) -> Result<Flash<Redirect>, AppError> {
    let next =
        url::form_urlencoded::byte_serialize(local(next.unwrap_or("/")).as_bytes()).collect::<String>();
    let back = format!("/step-up?next={next}&method=sms");
    let challenge = step_up::challenge(state, &user).await?;
    Ok(
        match second_step::resend(state, &challenge, &user.user, &user.account, meta.ip.as_deref()).await {
            Ok(None) => Flash::success(Redirect::to(back), "A code is on its way to your phone."),
            Ok(Some(error)) => Flash::error(Redirect::to(back), error.user_message()),
            Err(AppError::TooMany { message, .. } | AppError::BadRequest(message)) => {
                Flash::error(Redirect::to(back), message)
            }
            Err(other) => return Err(other),
        },
    )
}

/// Request options for a passkey as the step-up.
#[post("/step-up/passkey/options")]
async fn passkey_options(
    state: &State<AppState>,
    user: CurrentUser,
    _csrf: CsrfHeader,
) -> ApiResult<Json<Value>> {
    Ok(Json(passkey::start_second_step(state, &user.user).await?))
}

#[derive(Serialize)]
struct ResumePage {
    layout: Layout,
    action: String,
    fields: Vec<(String, String)>,
}

/// The kept form, sent again now that the second step is fresh (by `resubmit.js`, or by the
/// person's click without JavaScript).
#[get("/step-up/resume/<id>")]
async fn resume(state: &State<AppState>, user: CurrentUser, id: i32) -> Result<Page, AppError> {
    let Some((path, body)) = step_up::take(state, &user, id).await? else {
        return Err(AppError::BadRequest(
            "That change was kept for 15 minutes and has expired. Please make it again.".into(),
        ));
    };
    let mut fields: Vec<(String, String)> = url::form_urlencoded::parse(body.as_bytes())
        .into_owned()
        .collect();
    fields.push(("csrf_token".into(), user.session.csrf_token.clone()));
    Ok(Page::Html(Template::render(
        "step_up_resume",
        ResumePage {
            layout: Layout::new(&user, "Continue"),
            action: local(&path),
            fields,
        },
    )))
}

/// `FreshSecondFactor`: a request guard for handlers that must only run right after a second
/// step (the fairing above redirects first; this guard is the backstop answering 403).
pub struct FreshSecondFactor;

#[rocket::async_trait]
impl<'r> FromRequest<'r> for FreshSecondFactor {
    type Error = ();

    async fn from_request(request: &'r Request<'_>) -> Outcome<Self, ()> {
        let Some(state) = request.rocket().state::<AppState>() else {
            return Outcome::Error((Status::InternalServerError, ()));
        };
        let signed = match lookup(request).await {
            Ok(Some(signed)) if signed.session.state == SessionState::Full => signed,
            Ok(_) => return Outcome::Error((Status::Unauthorized, ())),
            Err(status) => return Outcome::Error((status, ())),
        };
        match step_up::is_fresh(state, &signed).await {
            Ok(true) => Outcome::Success(Self),
            Ok(false) => Outcome::Error((Status::Forbidden, ())),
            Err(_) => Outcome::Error((Status::ServiceUnavailable, ())),
        }
    }
}

pub fn routes() -> Vec<Route> {
    routes![needed, keep, show, verify, resend, passkey_options, resume]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_sensitive_actions_are_those_of_the_spec() {
        assert!(is_sensitive(HttpMethod::Post, "/options"));
        assert!(is_sensitive(HttpMethod::Post, "/options/sso"));
        assert!(is_sensitive(HttpMethod::Post, "/staff/new"));
        assert!(is_sensitive(HttpMethod::Post, "/staff/12"));
        assert!(is_sensitive(HttpMethod::Post, "/clients/7/two-factor/reset"));
        assert!(is_sensitive(HttpMethod::Get, "/export.csv"));
        assert!(is_sensitive(HttpMethod::Get, "/audit.csv"));
        assert!(!is_sensitive(HttpMethod::Get, "/options"));
        assert!(!is_sensitive(HttpMethod::Post, "/clients/7"));
        assert!(!is_sensitive(HttpMethod::Post, "/staff/x"));
    }

    #[test]
    fn only_local_paths_are_returned_to() {
        assert_eq!(local("/options"), "/options");
        assert_eq!(local("//evil.example"), "/");
        assert_eq!(local("https://evil.example"), "/");
        assert_eq!(local("/x\r\nSet-Cookie: a"), "/");
    }
}
