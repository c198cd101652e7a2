//! Single sign-on at the edge (SPEC §2.3): `/sso/<practice>` and `#sso-link` on `/security`
//! send the browser to the practice's provider; `/login/sso/callback` brings it back. The
//! decisions are `services::sso::flow`'s, and after it the sign-in goes on exactly as after a
//! password (`proceed`).

use rocket::http::{Cookie, CookieJar, SameSite, Status};
use rocket::response::Redirect;
use rocket::{Route, State, get, post, routes};
use rocket_dyn_templates::Template;
use serde::Serialize;

use crate::auth::session::{self, cookie_name};
use crate::auth::{CsrfChecked, CsrfToken, MaybeSignedIn, RequestMeta, StaffUser};
use crate::domain::SessionState;
use crate::error::AppError;
use crate::services::sign_in::{self, Channel};
use crate::services::sso;
use crate::services::sso::flow::{self, Callback, CallbackQuery, Refusal};
use crate::state::AppState;
use crate::views::Page;

const FLOW_COOKIE: &str = "outcomes_sso";

#[derive(Serialize)]
struct RefusedPage {
    message: String,
}

fn refused(refusal: Refusal) -> Page {
    let status = Status::from_code(refusal.status).unwrap_or(Status::BadRequest);
    Page::WithStatus((
        status,
        Template::render(
            "sso_refused",
            RefusedPage {
                message: refusal.message,
            },
        ),
    ))
}

/// SECURITY: binds the flow to this browser: the callback must bring back the state this
/// private (encrypted, HttpOnly) cookie holds.
fn remember(cookies: &CookieJar<'_>, https: bool, state: String) {
    let cookie = Cookie::build((cookie_name(https, FLOW_COOKIE), state))
        .http_only(true)
        .same_site(SameSite::Lax)
        .path("/")
        .secure(https)
        .max_age(rocket::time::Duration::seconds(flow::FLOW_SECONDS));
    cookies.add_private(cookie);
}

fn go(started: Result<flow::Started, Refusal>, cookies: &CookieJar<'_>, https: bool) -> Page {
    match started {
        Ok(started) => {
            remember(cookies, https, started.state);
            Page::Redirect(Redirect::to(started.redirect))
        }
        Err(refusal) => refused(refusal),
    }
}

/// The practice's sign-in link: off to its provider.
#[get("/sso/<practice>")]
async fn start(
    state: &State<AppState>,
    cookies: &CookieJar<'_>,
    practice: &str,
    meta: RequestMeta,
) -> Result<Page, AppError> {
    let started = flow::start_sign_in(state, practice, &meta).await?;
    Ok(go(started, cookies, state.settings.https()))
}

/// `#sso-link` on `/security`: the signed-in staff member signs in at the provider once.
#[post("/security/sso/link", data = "<_form>")]
async fn link(
    state: &State<AppState>,
    staff: StaffUser,
    cookies: &CookieJar<'_>,
    _form: CsrfChecked,
    meta: RequestMeta,
) -> Result<Page, AppError> {
    let started = flow::start_link(state, &staff, &meta).await?;
    Ok(go(started, cookies, state.settings.https()))
}

#[post("/security/sso/unlink", data = "<_form>")]
async fn unlink(
    state: &State<AppState>,
    staff: StaffUser,
    _form: CsrfChecked,
    meta: RequestMeta,
) -> Result<Page, AppError> {
    sso::unlink(state, &staff, &meta).await?;
    Ok(Page::see_other("/security?sso=unlinked"))
}

#[allow(clippy::too_many_arguments)]
#[get("/login/sso/callback?<state>&<code>&<error>")]
async fn callback(
    app: &State<AppState>,
    signed: MaybeSignedIn,
    cookies: &CookieJar<'_>,
    csrf: CsrfToken,
    state: Option<&str>,
    code: Option<&str>,
    error: Option<&str>,
    meta: RequestMeta,
) -> Result<Page, AppError> {
    let https = app.settings.https();
    let name = cookie_name(https, FLOW_COOKIE);
    let kept = cookies.get_private(&name).map(|c| c.value().to_string());
    // Whatever happens, this flow is over for this browser.
    cookies.remove_private(Cookie::build(name).path("/"));
    let previous = signed.0;
    let full = previous
        .as_ref()
        .filter(|s| s.session.state == SessionState::Full);
    let query = CallbackQuery { state, code, error };
    match flow::callback(app, &query, kept.as_deref(), full, &meta).await? {
        Callback::Refused(refusal) => Ok(refused(refusal)),
        Callback::Linked => Ok(Page::see_other("/security?sso=linked")),
        Callback::SignIn { first, second_step } => {
            // SECURITY: rotation — whatever session this browser had is replaced.
            if let Some(previous) = previous {
                session::delete(&app.db, previous.session.id).await?;
            }
            if second_step {
                let typed = first.user.login.clone();
                return super::proceed(app, cookies, &csrf, typed, *first, &meta).await;
            }
            let started = sign_in::start(app, &first.user, first.factors, Channel::Web, &meta, None).await?;
            session::set_cookie(cookies, https, started.token);
            Ok(Page::see_other("/"))
        }
    }
}

pub fn routes() -> Vec<Route> {
    routes![start, link, unlink, callback]
}
