//! `/clients`: staff create and update clients in their caseload and reset their passwords.

use std::collections::HashMap;

use rocket::http::Status;
use rocket::{Route, State, get, post, routes};
use rocket_dyn_templates::Template;
use serde::Serialize;

use entities::user;

use crate::auth::guards::SignedIn;
use crate::auth::{RequestMeta, SecureForm, StaffUser};
use crate::domain::phone::mask;
use crate::domain::{AgeGroup, ClientId, Email, FieldError, PersonName, PhoneNumber, Role};
use crate::error::AppError;
use crate::services::audit::{self, Event};
use crate::services::clients::{self, ClientInput, Credentials};
use crate::services::devices;
use crate::services::outcomes;
use crate::state::AppState;
use crate::views::outcomes::{MeasureForm, OutcomeView, measure_form, outcome_view};
use crate::views::{DeviceRow, FormState, Layout, Page, device_rows};

#[derive(Serialize)]
struct ClientRow {
    id: i32,
    full_name: String,
    user_id: String,
    age_group: &'static str,
    active: bool,
}

#[derive(Serialize)]
struct ClientListPage {
    layout: Layout,
    clients: Vec<ClientRow>,
}

#[derive(Serialize)]
struct Choice {
    value: String,
    label: String,
}

#[derive(Serialize)]
struct ClientFormPage {
    layout: Layout,
    form: FormState,
    target_id: Option<i32>,
    target_active: bool,
    user_id: String,
    phone_display: String,
    providers: Vec<Choice>,
    can_manage_devices: bool,
    devices: Vec<DeviceRow>,
    factor_summary: String,
    client_sees_graph: bool,
    outcomes: Option<OutcomeView>,
    measure_forms: Vec<MeasureForm>,
    rating: RatingState,
    safety_alert: bool,
}

/// The rating form that was just submitted, when it is sent back with errors.
#[derive(Serialize, Default)]
pub struct RatingState {
    pub measure: String,
    pub session: String,
    pub total: String,
    pub source: String,
    pub errors: HashMap<String, String>,
}

#[derive(Serialize)]
struct CredentialsPage {
    layout: Layout,
    client_id: i32,
    full_name: String,
    user_id: String,
    password: String,
    is_new: bool,
}

#[get("/clients")]
async fn list(state: &State<AppState>, actor: StaffUser) -> Result<Template, AppError> {
    let clients = clients::list(&state.db, &actor)
        .await?
        .into_iter()
        .map(|c| ClientRow {
            id: c.id,
            full_name: c.full_name,
            user_id: c.login,
            age_group: c.age_group.map(AgeGroup::as_str).unwrap_or_default(),
            active: c.active,
        })
        .collect();
    Ok(Template::render(
        "clients_list",
        ClientListPage {
            layout: Layout::new(&actor, "Clients"),
            clients,
        },
    ))
}

async fn form_page(
    state: &AppState,
    actor: &SignedIn,
    form: FormState,
    target: Option<&user::Model>,
) -> Result<Template, AppError> {
    client_page(state, actor, form, target, RatingState::default(), HashMap::new()).await
}

/// The client's page: details form, graph and table, rating forms, devices.
pub async fn client_page(
    state: &AppState,
    actor: &SignedIn,
    form: FormState,
    target: Option<&user::Model>,
    rating: RatingState,
    rating_values: HashMap<String, String>,
) -> Result<Template, AppError> {
    let providers = clients::assignable_providers(&state.db, actor)
        .await?
        .into_iter()
        .map(|p| Choice {
            value: p.id.to_string(),
            label: p.full_name,
        })
        .collect();
    let can_manage_devices = actor.role().is_manager();
    let devices = match target {
        Some(t) if can_manage_devices => {
            device_rows(devices::list_for_user(&state.db, t.id).await?, state.now())
        }
        _ => Vec::new(),
    };
    let factor_summary = match target {
        Some(t) if can_manage_devices => crate::services::authenticator::summary(&state.db, t.id).await?,
        _ => String::new(),
    };
    let title = target.map_or_else(
        || "New client".to_string(),
        |t| format!("Client: {}", t.full_name),
    );
    let (outcome_panel, measure_forms, safety_alert) = match target {
        Some(client) => {
            let settings = outcomes::settings(&state.db, client.account_id).await?;
            let record = outcomes::client_record(&state.db, client, &settings).await?;
            let age = outcomes::age_of(client);
            let chart_title = format!("{}: progress by session", client.full_name);
            let panel = record.as_ref().map(|r| outcome_view(&chart_title, age, r));
            let empty = HashMap::new();
            let forms = outcomes::measures_for(&settings, age)
                .into_iter()
                .map(|id| {
                    let chosen = rating.measure == id.as_str();
                    let errors = if chosen { &rating.errors } else { &empty };
                    let values = if chosen { &rating_values } else { &empty };
                    measure_form(id, values, errors)
                })
                .collect();
            let alert = !outcomes::open_alerts(&state.db, client.id).await?.is_empty();
            (panel, forms, alert)
        }
        None => (None, Vec::new(), false),
    };
    Ok(Template::render(
        "client_form",
        ClientFormPage {
            layout: Layout::new(actor, title),
            form,
            target_id: target.map(|t| t.id),
            target_active: target.is_none_or(|t| t.active),
            user_id: target.map(|t| t.login.clone()).unwrap_or_default(),
            phone_display: target
                .and_then(|t| t.phone.as_deref().map(mask))
                .unwrap_or_default(),
            providers,
            can_manage_devices,
            devices,
            factor_summary,
            client_sees_graph: target.is_some_and(|t| t.client_sees_graph),
            outcomes: outcome_panel,
            measure_forms,
            rating,
            safety_alert,
        },
    ))
}

pub fn values_of(c: &user::Model) -> FormState {
    let mut form = FormState::default();
    let mut set = |k: &str, v: Option<String>| {
        form.values.insert(k.to_string(), v.unwrap_or_default());
    };
    set("first_name", c.first_name.clone());
    set("last_name", c.last_name.clone());
    set("age_group", c.age_group.map(|a| a.as_str().to_string()));
    set("phone", c.phone.clone());
    set("email", c.email.clone());
    set("provider_id", c.provider_id.map(|i| i.to_string()));
    form
}

async fn parse(
    state: &AppState,
    actor: &SignedIn,
    form: &SecureForm,
    out: &mut FormState,
) -> Result<Option<ClientInput>, AppError> {
    let first_name = out.take(PersonName::parse(
        "first_name",
        "First name",
        form.get("first_name"),
    ));
    let last_name = out.take(PersonName::parse("last_name", "Last name", form.get("last_name")));
    let age_group = out.take(
        AgeGroup::parse(form.get("age_group"))
            .ok_or_else(|| FieldError::new("age_group", "Choose adult, adolescent or child.")),
    );
    let phone = out.take(PhoneNumber::parse_optional(
        "phone",
        form.get("phone"),
        &state.settings.phone_region,
    ));
    let email = out.take(Email::parse_optional("email", form.get("email")));
    let allowed = clients::assignable_providers(&state.db, actor).await?;
    let provider_id = match form.get("provider_id").trim() {
        // A provider creating a client keeps it by default.
        "" if actor.role() == Role::Provider => Some(actor.user.id),
        raw => out.take(
            raw.parse::<i32>()
                .ok()
                .filter(|id| allowed.iter().any(|p| p.id == *id))
                .ok_or_else(|| FieldError::new("provider_id", "Choose a provider from the list.")),
        ),
    };
    if !out.is_valid() {
        return Ok(None);
    }
    Ok((|| {
        Some(ClientInput {
            first_name: first_name?,
            last_name: last_name?,
            age_group: age_group?,
            phone: phone?,
            email: email?,
            provider_id: provider_id?,
        })
    })())
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
    form_page(state, &actor, form, None).await
}

#[post("/clients/new", data = "<form>")]
async fn create(
    state: &State<AppState>,
    actor: StaffUser,
    form: SecureForm,
    meta: RequestMeta,
) -> Result<Page, AppError> {
    let mut out = FormState::with_values(form.echo());
    match parse(state, &actor, &form, &mut out).await? {
        // The credentials are shown once, on this answer; a reload would not show them again.
        Some(input) => Ok(Page::Html(credentials_page(
            &actor,
            clients::create(state, &actor, input, meta.ip).await?,
            true,
        ))),
        None => Ok(Page::WithStatus((
            Status::UnprocessableEntity,
            form_page(state, &actor, out, None).await?,
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
    audit::record(
        &state.db,
        state.now(),
        Event::new("client.viewed", "success")
            .account(actor.account.id)
            .actor(actor.user.id)
            .subject(format!("client {}", client.id))
            .ip(meta.ip),
    )
    .await?;
    form_page(state, &actor, values_of(&client), Some(&client)).await
}

#[post("/clients/<id>", data = "<form>")]
async fn update(
    state: &State<AppState>,
    actor: StaffUser,
    id: ClientId,
    form: SecureForm,
    meta: RequestMeta,
) -> Result<Page, AppError> {
    let client = clients::find(&state.db, &actor, id).await?;
    let mut out = FormState::with_values(form.echo());
    match parse(state, &actor, &form, &mut out).await? {
        Some(input) => {
            clients::update(state, &actor, client, input, meta.ip).await?;
            Ok(Page::see_other(format!("/clients/{id}?saved=1")))
        }
        None => Ok(Page::WithStatus((
            Status::UnprocessableEntity,
            form_page(state, &actor, out, Some(&client)).await?,
        ))),
    }
}

#[post("/clients/<id>/password", data = "<_form>")]
async fn reset_password(
    state: &State<AppState>,
    actor: StaffUser,
    id: ClientId,
    _form: SecureForm,
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
    _form: SecureForm,
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
    _form: SecureForm,
    meta: RequestMeta,
) -> Result<Page, AppError> {
    let client = clients::find(&state.db, &actor, id).await?;
    clients::set_active(state, &actor, client, true, meta.ip).await?;
    Ok(Page::see_other(format!("/clients/{id}")))
}

pub fn routes() -> Vec<Route> {
    routes![
        list,
        new_form,
        create,
        show,
        update,
        reset_password,
        deactivate,
        activate
    ]
}
