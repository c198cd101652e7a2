//! `/clients`: staff create and update clients in their caseload and reset their passwords; the
//! client page with its graph, rating forms and devices (`page`), and the details form (`form`).

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
use crate::state::AppState;
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
}

fn credentials_page(actor: &SignedIn, credentials: Credentials, is_new: bool) -> Template {
    Template::render(
        "client_credentials",
        CredentialsPage {
            layout: Layout::new(actor, "Client sign-in details"),
            client_id: credentials.client.id,
            full_name: credentials.client.full_name.clone(),
            user_id: credentials.login,
            password: credentials.password.expose().to_string(),
            is_new,
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

#[get("/clients/<id>")]
async fn show(
    state: &State<AppState>,
    actor: StaffUser,
    id: ClientId,
    meta: RequestMeta,
) -> Result<Template, AppError> {
    let client = clients::find(&state.db, &actor, id).await?;
    let page = page_data::open(state, &actor, &client, meta.ip).await?;
    Ok(render(
        &actor,
        state.now(),
        values_of(&client),
        Some(&client),
        page,
        RatingState::default(),
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
            Ok(Page::see_other(format!("/clients/{id}?saved=1")))
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
    Ok(Page::see_other(format!("/clients/{id}")))
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
    Ok(Page::see_other(format!("/clients/{id}")))
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
        activate
    ]
}
