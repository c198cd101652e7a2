//! `/login` and `/logout`.

use rocket::http::{CookieJar, Status};
use rocket::response::Redirect;
use rocket::{Route, State, get, post, routes};
use rocket_dyn_templates::Template;
use serde::Serialize;

use crate::auth::{CsrfToken, MaybeSignedIn, RequestMeta, SecureForm, session};
use crate::error::AppError;
use crate::services::login;
use crate::state::AppState;
use crate::views::Page;

pub const INVALID_CREDENTIALS: &str = "The user ID or password is incorrect.";

#[derive(Serialize)]
struct LoginPage {
    csrf_token: String,
    user_id: String,
    error: Option<String>,
    notice: Option<&'static str>,
}

fn render(
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
        },
    )
}

#[get("/login?<signed_up>&<signed_out>")]
fn show(
    signed: MaybeSignedIn,
    csrf: CsrfToken,
    signed_up: Option<bool>,
    signed_out: Option<bool>,
) -> Page {
    if signed
        .0
        .is_some_and(|s| s.session.state == session::STATE_FULL)
    {
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
    let Some((user, _account)) =
        login::check_password(state, form.get("user_id"), form.get("password"), &meta).await?
    else {
        let csrf = form.get("csrf_token").to_string();
        let typed = form.get("user_id").chars().take(200).collect();
        return Ok(Page::WithStatus((
            Status::Unauthorized,
            render(csrf, typed, Some(INVALID_CREDENTIALS.into()), None),
        )));
    };
    // SECURITY: rotation — whatever session this browser had is replaced by a new token.
    if let Some(previous) = signed.0 {
        session::delete(&state.db, previous.session.id).await?;
    }
    let token = login::start_session(state, &user, "password", &meta).await?;
    session::set_cookie(cookies, https, token);
    Ok(Page::see_other("/"))
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
    routes![show, submit, logout]
}
