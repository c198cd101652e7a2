//! `/signup`: a new practice and its owner.

use rocket::form::{self, Contextual};
use rocket::http::Status;
use rocket::{FromForm, Route, State, get, post, routes};
use rocket_dyn_templates::Template;
use serde::Serialize;

use crate::auth::{CsrfForm, CsrfToken, RequestMeta};
use crate::domain::{Email, FieldError, LoginId, NewPassword, PasswordContext, PersonName, PhoneEntry, Plan};
use crate::error::AppError;
use crate::routes::fields::take;
use crate::services::accounts::{self, Signup};
use crate::state::AppState;
use crate::views::{FormState, Page};

#[derive(Serialize)]
struct SignupPage {
    csrf_token: String,
    form: FormState,
    /// A limit refused the sign-up (429): said above the form, what was typed kept.
    limit: Option<String>,
}

fn render(csrf: String, form: FormState, limit: Option<String>) -> Template {
    Template::render(
        "signup",
        SignupPage {
            csrf_token: csrf,
            form,
            limit,
        },
    )
}

/// The sign-up form. Text fields are checked after parsing (the password's rules need the
/// other fields, the phone the service's country); each typed field keeps its own result so
/// that a refused one does not hide the others' messages.
#[derive(FromForm)]
struct SignupForm<'r> {
    #[field(default = "")]
    organization: &'r str,
    plan: form::Result<'r, Plan>,
    #[field(default = "")]
    full_name: &'r str,
    #[field(default = "")]
    user_id: &'r str,
    #[field(default = "")]
    password: &'r str,
    email: form::Result<'r, Email>,
    phone: form::Result<'r, PhoneEntry>,
}

/// What a re-rendered form puts back (never the password).
const ECHO: &[&str] = &["organization", "plan", "full_name", "user_id", "email", "phone"];

/// The page's own words, whatever the parser said (a missing e-mail is not a valid one either).
const MESSAGES: &[(&str, &str)] = &[
    ("plan", "Choose a plan."),
    ("email", "Enter an e-mail address like name@example.com."),
];

#[get("/signup")]
fn show(csrf: CsrfToken) -> Template {
    let mut form = FormState::default();
    form.values.insert("plan".into(), Plan::Pro.as_str().into());
    render(csrf.0, form, None)
}

/// Checks every field, so the page names every mistake at once. `typed_email` is the e-mail
/// as typed, valid or not: a password may not be built from it either.
fn check(input: SignupForm<'_>, typed_email: &str, region: &str, out: &mut FormState) -> Option<Signup> {
    let organization = out.take(PersonName::parse(
        "organization",
        "Organization",
        input.organization,
    ));
    let plan = take(out, "plan", input.plan, MESSAGES);
    let full_name = out.take(PersonName::parse("full_name", "Your name", input.full_name));
    let login = out.take(LoginId::parse("user_id", input.user_id));
    let context = PasswordContext {
        words: vec![input.user_id, input.full_name, input.organization, typed_email],
    };
    let password = out.take(NewPassword::parse("password", input.password, &context));
    let email = take(out, "email", input.email, MESSAGES);
    let phone =
        take(out, "phone", input.phone, MESSAGES).and_then(|entry| out.take(entry.resolve("phone", region)));
    if plan == Some(Plan::Mobile) && phone.as_ref().is_some_and(Option::is_none) {
        out.add(FieldError::new(
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
    .filter(|_| out.is_valid())
}

#[post("/signup", data = "<form>")]
async fn submit(
    state: &State<AppState>,
    form: CsrfForm<Contextual<'_, SignupForm<'_>>>,
    meta: RequestMeta,
) -> Result<Page, AppError> {
    let CsrfForm(form) = form;
    let mut out = FormState::from_context(&form.context, ECHO, MESSAGES);
    let typed_email = form.context.field_value("email").unwrap_or("");
    let csrf = form.context.field_value("csrf_token").unwrap_or("").to_string();
    let signup = form
        .value
        .and_then(|input| check(input, typed_email, &state.settings.phone_region, &mut out));
    if let Some(signup) = signup {
        match accounts::sign_up(state, signup, meta.ip).await {
            Ok(_) => return Ok(Page::see_other("/login?signed_up=1")),
            Err(AppError::Conflict) => out.add(FieldError::new(
                "user_id",
                "That user ID is taken. Choose another.",
            )),
            Err(AppError::TooMany { retry_after, message }) => {
                return Ok(Page::limited(render(csrf, out, Some(message)), retry_after));
            }
            Err(other) => return Err(other),
        }
    }
    Ok(Page::WithStatus((
        Status::UnprocessableEntity,
        render(csrf, out, None),
    )))
}

pub fn routes() -> Vec<Route> {
    routes![show, submit]
}
