//! `/security`: one's own second factors — add or replace the authenticator app, make new
//! recovery codes, remove the app. Every change asks for the current password.

use rocket::form::Contextual;
use rocket::http::Status;
use rocket::{FromForm, FromFormField, Route, State, get, post, routes};
use rocket_dyn_templates::Template;
use serde::Serialize;

use crate::auth::{CsrfForm, CurrentUser, RequestMeta};
use crate::domain::FieldError;
use crate::domain::phone::mask;
use crate::error::AppError;
use crate::routes::login::{SetupCode, WRONG_SETUP_CODE, recovery_codes_page, setup_page};
use crate::services::second_step::{self, Requirement, app, passkey, recovery};
use crate::services::sign_in::password;
use crate::state::AppState;
use crate::views::{FormState, Layout, Page};

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
    passkeys: Vec<PasskeyRow>,
    /// Why this server cannot offer passkeys (`None` when it can).
    passkeys_unavailable: Option<String>,
    /// Single sign-on at the practice's provider (`None`: the practice has none).
    sso: Option<SsoRow>,
}

#[derive(Serialize)]
struct SsoRow {
    linked_since: Option<String>,
    practice_link: String,
    required: bool,
}

#[derive(Serialize)]
struct PasskeyRow {
    id: i32,
    name: String,
    added: String,
    last_used: String,
}

async fn render(
    state: &AppState,
    user: &CurrentUser,
    form: FormState,
    notice: Option<&'static str>,
) -> Result<Template, AppError> {
    let status = second_step::status(&state.db, user.user.id).await?;
    let locale = crate::services::practice::locale(state, &user.account);
    let passkeys = passkey::list(&state.db, user.user.id)
        .await?
        .into_iter()
        .map(|p| PasskeyRow {
            id: p.id,
            name: p.name,
            added: locale.date_time(p.created_at),
            last_used: p
                .last_used_at
                .map_or_else(|| "Not yet".into(), |t| locale.date_time(t)),
        })
        .collect();
    // As if the person had an app: would the sign-in ask for it?
    let with_app = second_step::requirement(
        &user.account,
        &user.user,
        second_step::Held {
            app: true,
            passkey: false,
        },
    );
    let sso = crate::services::sso::link_status(state, user)
        .await?
        .map(|status| SsoRow {
            linked_since: status.linked_since.map(|t| locale.date_time(t)),
            practice_link: status.practice_link,
            required: status.required,
        });
    Ok(Template::render(
        "security",
        SecurityPage {
            sso,
            layout: Layout::new(user, "Security"),
            form,
            // Someone with an app can always manage it, even if the practice stopped asking.
            second_step: with_app != Requirement::NotRequired || status.app_since.is_some(),
            app_required: app_required(user),
            app_since: status
                .app_since
                .map(|t| crate::services::practice::locale(state, &user.account).date_time(t)),
            recovery_left: status.recovery_left,
            phone_hint: user.user.phone.as_deref().map(mask),
            notice,
            passkeys,
            passkeys_unavailable: state.webauthn.as_ref().err().cloned(),
        },
    ))
}

fn app_required(user: &CurrentUser) -> bool {
    user.account.staff_require_authenticator && user.role().is_staff()
}

#[get("/security?<removed>&<passkey>&<sso>")]
async fn show(
    state: &State<AppState>,
    user: CurrentUser,
    removed: Option<bool>,
    passkey: Option<&str>,
    sso: Option<&str>,
) -> Result<Template, AppError> {
    let notice = match (removed, passkey) {
        _ if sso == Some("linked") => {
            Some("Your single sign-on identity is linked. Use your practice's sign-in link next time.")
        }
        _ if sso == Some("unlinked") => Some("Single sign-on is unlinked from your account."),
        (Some(true), _) => Some("Your authenticator app and recovery codes are removed."),
        (_, Some("added")) => Some("Your passkey is added. You can sign in with it alone."),
        (_, Some("renamed")) => Some("Saved."),
        (_, Some("removed")) => Some("The passkey is removed."),
        _ => None,
    };
    render(state, &user, FormState::default(), notice).await
}

/// The page again with `message` on `field`, answered 422; nothing changed.
pub async fn refused_page(
    state: &AppState,
    user: &CurrentUser,
    field: &'static str,
    message: &str,
) -> Result<Page, AppError> {
    refused(state, user, field, message).await
}

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

/// The buttons of the Security page.
#[derive(Debug, Clone, Copy, PartialEq, Eq, FromFormField)]
enum Action {
    #[field(value = "add_app")]
    AddApp,
    #[field(value = "new_codes")]
    NewCodes,
    #[field(value = "remove_app")]
    RemoveApp,
}

#[derive(FromForm)]
struct ChangeForm<'r> {
    action: Action,
    #[field(default = "")]
    current_password: &'r str,
}

/// One form, one password field, a button per change.
#[post("/security", data = "<form>")]
async fn change(
    state: &State<AppState>,
    user: CurrentUser,
    form: CsrfForm<Contextual<'_, ChangeForm<'_>>>,
    meta: RequestMeta,
) -> Result<Page, AppError> {
    let CsrfForm(form) = form;
    let Some(input) = form.value else {
        return refused(state, &user, "action", "Choose one of the buttons.").await;
    };
    if !password::verify_current(state, &user.user, input.current_password, &meta).await? {
        return refused(
            state,
            &user,
            "current_password",
            "That is not your current password.",
        )
        .await;
    }
    let has_app = app::confirmed(&state.db, user.user.id).await?.is_some();
    match input.action {
        Action::AddApp => {
            app::start_setup(state, &user.user).await?;
            Ok(Page::see_other("/security/authenticator"))
        }
        Action::NewCodes if has_app => {
            let codes = recovery::replace_codes(state, &user.user, meta.ip).await?;
            Ok(Page::Html(recovery_codes_page(
                Some(Layout::new(&user, "Recovery codes")),
                codes,
                "/security",
            )))
        }
        Action::NewCodes => {
            let message = "Recovery codes come with an authenticator app: add the app first.";
            refused(state, &user, "action", message).await
        }
        Action::RemoveApp if app_required(&user) => {
            let message = "Your practice requires an authenticator app for staff. To move to a new phone, add the app again: the new one replaces this one.";
            refused(state, &user, "action", message).await
        }
        Action::RemoveApp => {
            second_step::remove_own_app(state, &user.user, meta.ip).await?;
            Ok(Page::see_other("/security?removed=true"))
        }
    }
}

/// The set-up started from the page above (the password was checked there).
#[get("/security/authenticator")]
async fn setup_form(state: &State<AppState>, user: CurrentUser) -> Result<Page, AppError> {
    if app::unconfirmed(state, user.user.id).await?.is_none() {
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
    form: CsrfForm<Contextual<'_, SetupCode<'_>>>,
    meta: RequestMeta,
) -> Result<Page, AppError> {
    if app::unconfirmed(state, user.user.id).await?.is_none() {
        return Ok(Page::see_other("/security"));
    }
    let CsrfForm(form) = form;
    let code = form.value.map_or("", |f| f.code);
    if let Some(codes) = app::confirm_setup(state, &user.user, code, meta.ip).await? {
        Ok(Page::Html(recovery_codes_page(
            Some(Layout::new(&user, "Recovery codes")),
            codes,
            "/security",
        )))
    } else {
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

pub fn routes() -> Vec<Route> {
    routes![show, change, setup_form, setup_confirm]
}
