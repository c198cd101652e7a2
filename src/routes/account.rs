//! `/account/password`: change one's own password (needs the current one).

use rocket::form::Contextual;
use rocket::http::Status;
use rocket::{FromForm, Route, State, get, post, routes};
use rocket_dyn_templates::Template;
use serde::Serialize;

use crate::auth::{CsrfForm, CurrentUser, RequestMeta};
use crate::domain::{FieldError, NewPassword, PasswordContext};
use crate::error::AppError;
use crate::services::sign_in::password;
use crate::state::AppState;
use crate::views::{FormState, Layout, Page};

#[derive(Serialize)]
struct PasswordPage {
    layout: Layout,
    form: FormState,
    changed: bool,
}

#[get("/account/password?<changed>")]
fn show(user: CurrentUser, changed: Option<bool>) -> Template {
    Template::render(
        "account_password",
        PasswordPage {
            layout: Layout::new(&user, "Change password"),
            form: FormState::default(),
            changed: changed == Some(true),
        },
    )
}

/// The field names are those of SPEC §4, which outside tools post.
#[derive(FromForm)]
#[allow(clippy::struct_field_names)]
struct PasswordForm<'r> {
    current_password: &'r str,
    new_password: &'r str,
    confirm_password: &'r str,
}

#[post("/account/password", data = "<form>")]
async fn submit(
    state: &State<AppState>,
    user: CurrentUser,
    form: CsrfForm<Contextual<'_, PasswordForm<'_>>>,
    meta: RequestMeta,
) -> Result<Page, AppError> {
    let CsrfForm(form) = form;
    let mut form_state = FormState::from_context(&form.context, &[], &[]);
    if let Some(input) = form.value {
        let context = PasswordContext {
            words: vec![&user.user.login, &user.user.full_name, &user.account.name],
        };
        let new_password = form_state.take(NewPassword::parse("new_password", input.new_password, &context));
        if input.new_password != input.confirm_password {
            form_state.add(FieldError::new(
                "confirm_password",
                "The two new passwords do not match.",
            ));
        }
        if let Some(new_password) = new_password.filter(|_| form_state.is_valid()) {
            if password::change_own_password(state, &user, input.current_password, &new_password, &meta)
                .await?
            {
                return Ok(Page::see_other("/account/password?changed=true"));
            }
            form_state.add(FieldError::new(
                "current_password",
                "That is not your current password.",
            ));
        }
    }
    Ok(Page::WithStatus((
        Status::UnprocessableEntity,
        Template::render(
            "account_password",
            PasswordPage {
                layout: Layout::new(&user, "Change password"),
                form: form_state,
                changed: false,
            },
        ),
    )))
}

pub fn routes() -> Vec<Route> {
    routes![show, submit]
}
