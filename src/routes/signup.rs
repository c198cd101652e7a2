//! `/signup`: a new practice and its owner.

use rocket::http::Status;
use rocket::{Route, State, get, post, routes};
use rocket_dyn_templates::Template;
use serde::Serialize;

use crate::auth::{CsrfToken, RequestMeta, SecureForm};
use crate::domain::{
    Email, FieldError, LoginId, NewPassword, PasswordContext, PersonName, PhoneNumber, Plan,
};
use crate::error::AppError;
use crate::services::accounts::{self, Signup};
use crate::services::login_taken;
use crate::state::AppState;
use crate::views::{FormState, Page};

#[derive(Serialize)]
struct SignupPage {
    csrf_token: String,
    form: FormState,
}

fn render(csrf: String, form: FormState) -> Template {
    Template::render(
        "signup",
        SignupPage {
            csrf_token: csrf,
            form,
        },
    )
}

#[get("/signup")]
fn show(csrf: CsrfToken) -> Template {
    let mut form = FormState::default();
    form.values.insert("plan".into(), "pro".into());
    render(csrf.0, form)
}

fn parse(form: &SecureForm, region: &str, state: &mut FormState) -> Option<Signup> {
    let organization = state.take(PersonName::parse(
        "organization",
        "Organization",
        form.get("organization"),
    ));
    let plan =
        state.take(Plan::parse(form.get("plan")).ok_or_else(|| FieldError::new("plan", "Choose a plan.")));
    let full_name = state.take(PersonName::parse("full_name", "Your name", form.get("full_name")));
    let login = state.take(LoginId::parse("user_id", form.get("user_id")));
    let context = PasswordContext {
        words: vec![
            form.get("user_id"),
            form.get("full_name"),
            form.get("organization"),
            form.get("email"),
        ],
    };
    let password = state.take(NewPassword::parse("password", form.get("password"), &context));
    let email = state.take(Email::parse("email", form.get("email")));
    let phone = state.take(PhoneNumber::parse_optional("phone", form.get("phone"), region));
    if plan == Some(Plan::Mobile) && phone.as_ref().is_some_and(Option::is_none) {
        state.add(FieldError::new(
            "phone",
            "The Standalone Mobile plan texts a code at every new sign-in: enter a mobile number.",
        ));
    }
    Some(Signup {
        organization: organization?,
        plan: plan?,
        full_name: full_name?,
        login: login?,
        password: password?,
        email: email?,
        phone: phone?,
    })
    .filter(|_| state.is_valid())
}

#[post("/signup", data = "<form>")]
async fn submit(state: &State<AppState>, form: SecureForm, meta: RequestMeta) -> Result<Page, AppError> {
    let csrf = form.get("csrf_token").to_string();
    let mut form_state = FormState::with_values(form.echo());
    let parsed = parse(&form, &state.settings.phone_region, &mut form_state);
    let taken_message = || FieldError::new("user_id", "That user ID is taken. Choose another.");
    if let Some(signup) = &parsed
        && login_taken(&state.db, signup.login.as_str()).await?
    {
        form_state.add(taken_message());
    }
    match parsed.filter(|_| form_state.is_valid()) {
        Some(signup) => match accounts::sign_up(state, signup, meta.ip).await {
            Ok(_) => Ok(Page::see_other("/login?signed_up=1")),
            Err(AppError::Conflict) => {
                form_state.add(taken_message());
                Ok(Page::WithStatus((
                    Status::UnprocessableEntity,
                    render(csrf, form_state),
                )))
            }
            Err(other) => Err(other),
        },
        None => Ok(Page::WithStatus((
            Status::UnprocessableEntity,
            render(csrf, form_state),
        ))),
    }
}

pub fn routes() -> Vec<Route> {
    routes![show, submit]
}
