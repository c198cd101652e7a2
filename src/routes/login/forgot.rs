//! Forgotten passwords (SPEC §2.4): `/login/forgot` asks for a link, `/login/reset/<token>`
//! sets a new password with it. The rules are `services::password_reset`'s.

use rocket::form::Contextual;
use rocket::http::Status;
use rocket::{FromForm, Route, State, get, post, routes};
use rocket_dyn_templates::Template;
use serde::Serialize;

use crate::auth::{CsrfForm, CsrfToken, RequestMeta};
use crate::domain::{FieldError, NewPassword, PasswordContext};
use crate::error::AppError;
use crate::services::password_reset;
use crate::state::AppState;
use crate::views::{FormState, Page};

/// The one answer, whether or not the user ID exists or has an e-mail address (SPEC §2.4).
pub const SENT: &str = "If that user ID has an e-mail address on file, we have sent a link.";
const LINK_DEAD: &str = "This link has expired or has already been used. Links work once, for 60 minutes, and only the newest one sent.";

#[derive(Serialize)]
struct ForgotPage {
    csrf_token: String,
    user_id: String,
    notice: Option<&'static str>,
    error: Option<String>,
}

fn forgot_page(
    csrf: String,
    user_id: String,
    notice: Option<&'static str>,
    error: Option<String>,
) -> Template {
    Template::render(
        "forgot",
        ForgotPage {
            csrf_token: csrf,
            user_id,
            notice,
            error,
        },
    )
}

#[get("/login/forgot?<sent>")]
fn forgot(csrf: CsrfToken, sent: Option<bool>) -> Template {
    let notice = (sent == Some(true)).then_some(SENT);
    forgot_page(csrf.0, String::new(), notice, None)
}

#[derive(FromForm)]
struct ForgotForm<'r> {
    #[field(default = "")]
    user_id: &'r str,
}

#[post("/login/forgot", data = "<form>")]
async fn forgot_submit(
    state: &State<AppState>,
    csrf: CsrfToken,
    form: CsrfForm<Contextual<'_, ForgotForm<'_>>>,
    meta: RequestMeta,
) -> Result<Page, AppError> {
    let CsrfForm(form) = form;
    let typed = form.value.as_ref().map_or("", |f| f.user_id);
    let typed: String = typed.trim().chars().take(200).collect();
    if typed.is_empty() {
        return Ok(Page::WithStatus((
            Status::UnprocessableEntity,
            forgot_page(csrf.0, typed, None, Some("Enter your user ID.".into())),
        )));
    }
    match password_reset::request(state, &typed, &meta).await {
        Ok(()) => Ok(Page::see_other("/login/forgot?sent=true")),
        Err(AppError::TooMany { retry_after, message }) => Ok(Page::limited(
            forgot_page(csrf.0, typed, None, Some(message)),
            retry_after,
        )),
        Err(other) => Err(other),
    }
}

#[derive(Serialize)]
struct ResetPage {
    csrf_token: String,
    token: String,
    user_id: String,
    form: FormState,
    dead: Option<&'static str>,
}

fn dead_link(csrf: String) -> Page {
    Page::WithStatus((
        Status::Gone,
        Template::render(
            "reset",
            ResetPage {
                csrf_token: csrf,
                token: String::new(),
                user_id: String::new(),
                form: FormState::default(),
                dead: Some(LINK_DEAD),
            },
        ),
    ))
}

#[get("/login/reset/<token>")]
async fn reset(state: &State<AppState>, csrf: CsrfToken, token: &str) -> Result<Page, AppError> {
    let Some(link) = password_reset::find(state, token).await? else {
        return Ok(dead_link(csrf.0));
    };
    Ok(Page::Html(Template::render(
        "reset",
        ResetPage {
            csrf_token: csrf.0,
            token: token.to_string(),
            user_id: link.user.login,
            form: FormState::default(),
            dead: None,
        },
    )))
}

#[derive(FromForm)]
struct ResetForm<'r> {
    #[field(default = "")]
    password: &'r str,
    #[field(default = "")]
    password_confirm: &'r str,
}

#[post("/login/reset/<token>", data = "<form>")]
async fn reset_submit(
    state: &State<AppState>,
    csrf: CsrfToken,
    token: &str,
    form: CsrfForm<Contextual<'_, ResetForm<'_>>>,
    meta: RequestMeta,
) -> Result<Page, AppError> {
    let Some(link) = password_reset::find(state, token).await? else {
        return Ok(dead_link(csrf.0));
    };
    let CsrfForm(form) = form;
    let mut form_state = FormState::from_context(&form.context, &[], &[]);
    if let Some(input) = form.value {
        let context = PasswordContext {
            words: vec![&link.user.login, &link.user.full_name, &link.account.name],
        };
        let new_password = form_state.take(NewPassword::parse("password", input.password, &context));
        if input.password != input.password_confirm {
            form_state.add(FieldError::new(
                "password_confirm",
                "The two passwords do not match.",
            ));
        }
        if let Some(new_password) = new_password.filter(|_| form_state.is_valid()) {
            if password_reset::complete(state, &link, &new_password, &meta).await? {
                return Ok(Page::see_other("/login?reset=true"));
            }
            return Ok(dead_link(csrf.0));
        }
    }
    Ok(Page::WithStatus((
        Status::UnprocessableEntity,
        Template::render(
            "reset",
            ResetPage {
                csrf_token: csrf.0,
                token: token.to_string(),
                user_id: link.user.login,
                form: form_state,
                dead: None,
            },
        ),
    )))
}

pub fn routes() -> Vec<Route> {
    routes![forgot, forgot_submit, reset, reset_submit]
}
