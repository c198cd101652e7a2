//! `/clients`: staff create and update clients in their caseload and reset their passwords; the
//! client page with its graph, rating forms and devices (`page`), the details form (`form`),
//! and the questionnaires asked for (`asking`).

mod asking;
mod form;
mod list;
mod page;

use rocket::form::Contextual;
use rocket::http::Status;
use rocket::{Route, State, get, post, routes};
use rocket_dyn_templates::Template;
use serde::Serialize;

use crate::auth::guards::SignedIn;
use crate::auth::{CsrfChecked, CsrfForm, RequestMeta, StaffUser};
use crate::domain::ClientId;
use crate::error::AppError;
use crate::services::clients::page as page_data;
use crate::services::clients::{self, Credentials};
use crate::services::practice;
use crate::services::second_step::{self, Requirement};
use crate::state::AppState;
use crate::views::notices::Saved;
use crate::views::{FormState, Layout, Page};

use form::{ClientForm, read};
use page::render;
pub(crate) use page::{RatingState, client_page, values_of};

#[derive(Serialize)]
struct CredentialsPage {
    layout: Layout,
    client_id: i32,
    full_name: String,
    user_id: String,
    password: String,
    is_new: bool,
    /// For the printed sheet the client takes home.
    practice: String,
    sign_in_at: String,
    next_steps: Vec<String>,
}

/// What the client will meet at their first sign-in, in their words.
fn next_steps(state: &AppState, actor: &SignedIn, client: &crate::services::User) -> Vec<String> {
    let locale = practice::locale(state, &actor.account);
    let mut steps = vec!["Open the address above and sign in with your user ID and password.".to_string()];
    match second_step::requirement(&actor.account, client, second_step::Held::default()) {
        Requirement::NotRequired => {}
        Requirement::RequiredWithoutPhone => steps.push(
            "Your practice texts a code at sign-in, but has no phone number for you yet: ask them to add one before you sign in.".into(),
        ),
        _ => steps.push(format!(
            "On a phone or computer you have not used before, a 6-digit code is texted to your phone{}. Enter it to finish signing in; that device is then remembered.",
            client
                .phone
                .as_deref()
                .map(|p| format!(" ({})", mask_like(&locale.phone(p))))
                .unwrap_or_default()
        )),
    }
    steps.push("Then you will see the questionnaires your provider asks you to fill in.".into());
    steps.push("Keep this sheet private. If you lose the password, ask your provider for a new one.".into());
    steps
}

/// "(•••) •••-2671": enough to recognise one's own phone on paper, not to dial it.
fn mask_like(formatted: &str) -> String {
    let digits = formatted.chars().filter(char::is_ascii_digit).count();
    let mut seen = 0;
    formatted
        .chars()
        .map(|c| {
            if c.is_ascii_digit() {
                seen += 1;
                if seen + 4 > digits { c } else { '•' }
            } else {
                c
            }
        })
        .collect()
}

fn credentials_page(state: &AppState, actor: &SignedIn, credentials: Credentials, is_new: bool) -> Template {
    let sign_in_at = format!(
        "{}/login",
        state.settings.public_url.as_str().trim_end_matches('/')
    );
    Template::render(
        "client_credentials",
        CredentialsPage {
            layout: Layout::new(actor, "Client sign-in details"),
            client_id: credentials.client.id,
            full_name: credentials.client.full_name.clone(),
            next_steps: next_steps(state, actor, &credentials.client),
            user_id: credentials.login,
            password: credentials.password.expose().to_string(),
            is_new,
            practice: actor.account.name.clone(),
            sign_in_at,
        },
    )
}

#[get("/clients/new")]
async fn new_form(state: &State<AppState>, actor: StaffUser) -> Result<Template, AppError> {
    let mut form = FormState::default();
    form.values.insert("age_group".into(), "adult".into());
    form.values
        .insert("provider_id".into(), actor.user.id.to_string());
    client_page(state, &actor, form, None, RatingState::default()).await
}

#[post("/clients/new", data = "<form>")]
async fn create(
    state: &State<AppState>,
    actor: StaffUser,
    form: CsrfForm<Contextual<'_, ClientForm<'_>>>,
    meta: RequestMeta,
) -> Result<Page, AppError> {
    match read(state, &actor, form.0).await? {
        // The credentials are shown once, on this answer; a reload would not show them again.
        Ok(input) => Ok(Page::Html(credentials_page(
            state,
            &actor,
            clients::create(state, &actor, input, meta.ip).await?,
            true,
        ))),
        Err(out) => Ok(Page::WithStatus((
            Status::UnprocessableEntity,
            client_page(state, &actor, out, None, RatingState::default()).await?,
        ))),
    }
}

#[get("/clients/<id>?<saved>")]
async fn show(
    state: &State<AppState>,
    actor: StaffUser,
    id: ClientId,
    saved: Option<&str>,
    meta: RequestMeta,
) -> Result<Template, AppError> {
    let client = clients::find(&state.db, &actor, id).await?;
    let page = page_data::open(state, &actor, &client, meta.ip).await?;
    let locale = practice::locale(state, &actor.account);
    Ok(render(
        state,
        &actor,
        values_of(&client, &locale),
        Some(&client),
        page,
        (RatingState::default(), saved.and_then(Saved::parse)),
    ))
}

#[post("/clients/<id>", data = "<form>")]
async fn update(
    state: &State<AppState>,
    actor: StaffUser,
    id: ClientId,
    form: CsrfForm<Contextual<'_, ClientForm<'_>>>,
    meta: RequestMeta,
) -> Result<Page, AppError> {
    let client = clients::find(&state.db, &actor, id).await?;
    match read(state, &actor, form.0).await? {
        Ok(input) => {
            clients::update(state, &actor, client, input, meta.ip).await?;
            Ok(Page::see_other(format!("/clients/{id}?saved=details")))
        }
        Err(out) => Ok(Page::WithStatus((
            Status::UnprocessableEntity,
            client_page(state, &actor, out, Some(&client), RatingState::default()).await?,
        ))),
    }
}

#[post("/clients/<id>/password", data = "<_form>")]
async fn reset_password(
    state: &State<AppState>,
    actor: StaffUser,
    id: ClientId,
    _form: CsrfChecked,
    meta: RequestMeta,
) -> Result<Template, AppError> {
    let client = clients::find(&state.db, &actor, id).await?;
    Ok(credentials_page(
        state,
        &actor,
        clients::reset_password(state, &actor, client, meta.ip).await?,
        false,
    ))
}

#[post("/clients/<id>/deactivate", data = "<_form>")]
async fn deactivate(
    state: &State<AppState>,
    actor: StaffUser,
    id: ClientId,
    _form: CsrfChecked,
    meta: RequestMeta,
) -> Result<Page, AppError> {
    let client = clients::find(&state.db, &actor, id).await?;
    clients::set_active(state, &actor, client, false, meta.ip).await?;
    Ok(Page::see_other(format!("/clients/{id}?saved=deactivated")))
}

#[post("/clients/<id>/activate", data = "<_form>")]
async fn activate(
    state: &State<AppState>,
    actor: StaffUser,
    id: ClientId,
    _form: CsrfChecked,
    meta: RequestMeta,
) -> Result<Page, AppError> {
    let client = clients::find(&state.db, &actor, id).await?;
    clients::set_active(state, &actor, client, true, meta.ip).await?;
    Ok(Page::see_other(format!("/clients/{id}?saved=activated")))
}

pub fn routes() -> Vec<Route> {
    routes![
        list::list,
        new_form,
        create,
        show,
        update,
        reset_password,
        deactivate,
        activate,
        asking::save
    ]
}
