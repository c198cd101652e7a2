//! `/security`: one's own second factors — add or replace the authenticator app, make new
//! recovery codes, remove the app. Every change asks for the current password.

use rocket::http::Status;
use rocket::{Route, State, get, post, routes};
use rocket_dyn_templates::Template;
use sea_orm::TransactionTrait;
use serde::Serialize;

use crate::auth::{CurrentUser, RequestMeta, SecureForm};
use crate::domain::FieldError;
use crate::domain::phone::mask;
use crate::error::AppError;
use crate::routes::login::{WRONG_SETUP_CODE, recovery_codes_page, setup_page};
use crate::services::audit::{self, Event};
use crate::services::authenticator;
use crate::services::two_factor::{self, Requirement};
use crate::state::AppState;
use crate::views::{FormState, Layout, Page, format_time};

#[derive(Serialize)]
struct SecurityPage {
    layout: Layout,
    form: FormState,
    /// Whether this person's sign-in asks for a second step at all.
    second_step: bool,
    app_required: bool,
    app_since: Option<String>,
    recovery_left: u64,
    phone_hint: Option<String>,
    notice: Option<&'static str>,
}

async fn render(
    state: &AppState,
    user: &CurrentUser,
    form: FormState,
    notice: Option<&'static str>,
) -> Result<Template, AppError> {
    let status = authenticator::status(&state.db, user.user.id).await?;
    // As if the person had an app: would the sign-in ask for it?
    let with_app = two_factor::requirement(&user.account, &user.user, true);
    Ok(Template::render(
        "security",
        SecurityPage {
            layout: Layout::new(user, "Security"),
            form,
            // Someone with an app can always manage it, even if the practice stopped asking.
            second_step: with_app != Requirement::NotRequired || status.app_since.is_some(),
            app_required: app_required(user),
            app_since: status.app_since.map(format_time),
            recovery_left: status.recovery_left,
            phone_hint: user.user.phone.as_deref().map(mask),
            notice,
        },
    ))
}

fn app_required(user: &CurrentUser) -> bool {
    user.account.staff_require_authenticator && user.role().is_staff()
}

#[get("/security?<removed>")]
async fn show(
    state: &State<AppState>,
    user: CurrentUser,
    removed: Option<bool>,
) -> Result<Template, AppError> {
    let notice = (removed == Some(true)).then_some("Your authenticator app and recovery codes are removed.");
    render(state, &user, FormState::default(), notice).await
}

/// The page again with `message` on `field`, answered 422; nothing changed.
async fn refused(
    state: &AppState,
    user: &CurrentUser,
    field: &'static str,
    message: &str,
) -> Result<Page, AppError> {
    let mut form = FormState::default();
    form.add(FieldError::new(field, message));
    let page = render(state, user, form, None).await?;
    Ok(Page::WithStatus((Status::UnprocessableEntity, page)))
}

/// One form, one password field, a button per change.
#[post("/security", data = "<form>")]
async fn change(
    state: &State<AppState>,
    user: CurrentUser,
    form: SecureForm,
    meta: RequestMeta,
) -> Result<Page, AppError> {
    let action = form.get("action");
    if !matches!(action, "add_app" | "new_codes" | "remove_app") {
        return refused(state, &user, "action", "Choose one of the buttons.").await;
    }
    let password_ok = state
        .hasher
        .verify(
            form.get("current_password").chars().take(1024).collect(),
            user.user.password_hash.clone(),
        )
        .await?;
    if !password_ok {
        return refused(
            state,
            &user,
            "current_password",
            "That is not your current password.",
        )
        .await;
    }
    let has_app = authenticator::confirmed(&state.db, user.user.id).await?.is_some();
    match action {
        "add_app" => {
            authenticator::start_setup(state, &user.user).await?;
            Ok(Page::see_other("/security/authenticator"))
        }
        "new_codes" if has_app => {
            let codes = authenticator::replace_recovery_codes(state, &user.user, meta.ip).await?;
            Ok(Page::Html(recovery_codes_page(
                Some(Layout::new(&user, "Recovery codes")),
                codes,
                "/security",
            )))
        }
        "new_codes" => {
            let message = "Recovery codes come with an authenticator app: add the app first.";
            refused(state, &user, "action", message).await
        }
        _ if app_required(&user) => {
            let message = "Your practice requires an authenticator app for staff. To move to a new phone, add the app again: the new one replaces this one.";
            refused(state, &user, "action", message).await
        }
        _ => {
            let txn = state.db.begin().await?;
            let removed = authenticator::remove_all(&txn, user.user.id).await?;
            if removed > 0 {
                audit::record(
                    &txn,
                    state.now(),
                    Event::new("authenticator.removed", "success")
                        .account(user.account.id)
                        .actor(user.user.id)
                        .subject(format!("user {}", user.user.id))
                        .ip(meta.ip),
                )
                .await?;
            }
            txn.commit().await?;
            Ok(Page::see_other("/security?removed=true"))
        }
    }
}

/// The set-up started from the page above (the password was checked there).
#[get("/security/authenticator")]
async fn setup_form(state: &State<AppState>, user: CurrentUser) -> Result<Page, AppError> {
    if authenticator::unconfirmed(state, user.user.id).await?.is_none() {
        return Ok(Page::see_other("/security"));
    }
    let layout = Layout::new(&user, "Set up your authenticator app");
    Ok(Page::Html(
        setup_page(state, &user, "/security/authenticator", Some(layout), None).await?,
    ))
}

#[post("/security/authenticator", data = "<form>")]
async fn setup_confirm(
    state: &State<AppState>,
    user: CurrentUser,
    form: SecureForm,
    meta: RequestMeta,
) -> Result<Page, AppError> {
    if authenticator::unconfirmed(state, user.user.id).await?.is_none() {
        return Ok(Page::see_other("/security"));
    }
    match authenticator::confirm_setup(state, &user.user, form.get("code"), meta.ip).await? {
        Some(codes) => Ok(Page::Html(recovery_codes_page(
            Some(Layout::new(&user, "Recovery codes")),
            codes,
            "/security",
        ))),
        None => {
            let layout = Layout::new(&user, "Set up your authenticator app");
            let page = setup_page(
                state,
                &user,
                "/security/authenticator",
                Some(layout),
                Some(WRONG_SETUP_CODE.into()),
            )
            .await?;
            Ok(Page::WithStatus((Status::UnprocessableEntity, page)))
        }
    }
}

pub fn routes() -> Vec<Route> {
    routes![show, change, setup_form, setup_confirm]
}
