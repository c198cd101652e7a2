//! The client page's context: the details form, the graph and table, the rating forms with
//! what was just submitted, and the devices and second factors for owners and admins.

use std::collections::HashMap;

use rocket_dyn_templates::Template;
use serde::Serialize;

use crate::auth::guards::SignedIn;
use crate::domain::Locale;
use crate::domain::asking::Asking;
use crate::domain::measures::{self, MeasureId};
use crate::domain::phone::mask;
use crate::error::AppError;
use crate::services::clients::VisibleClient;
use crate::services::clients::page::{self as page_data, ClientPage};
use crate::services::practice;
use crate::state::AppState;
use crate::views::notices::{Saved, phone_hint};
use crate::views::outcomes::{MeasureForm, OutcomeView, measure_form, outcome_view};
use crate::views::{DeviceRow, FormState, Layout, device_rows};

#[derive(Serialize)]
struct Choice {
    value: String,
    label: String,
}

/// One questionnaire's "how often" select.
#[derive(Serialize)]
struct AskRow {
    field: &'static str,
    name: &'static str,
    choices: Vec<AskChoice>,
}

#[derive(Serialize)]
struct AskChoice {
    value: String,
    label: String,
    selected: bool,
}

fn ask_rows(asking: &[(MeasureId, Asking)]) -> Vec<AskRow> {
    asking
        .iter()
        .map(|(id, now)| AskRow {
            field: id.as_str(),
            name: measures::measure(*id).plain_name,
            choices: Asking::choices()
                .into_iter()
                .map(|a| AskChoice {
                    value: a.value(),
                    label: a.label(),
                    selected: a == *now,
                })
                .collect(),
        })
        .collect()
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
    invite_schedule: &'static str,
    questionnaires: Vec<AskRow>,
    outcomes: Option<OutcomeView>,
    measure_forms: Vec<MeasureForm>,
    rating: RatingState,
    safety_alert: bool,
    phone_hint: String,
    saved: Option<&'static str>,
    print: PrintHeader,
}

/// What a printed client page says about itself: whose record, from where, printed when.
#[derive(Serialize, Default)]
struct PrintHeader {
    practice: String,
    clinician: String,
    printed: String,
}

/// The rating form that was just submitted, when it is sent back with errors.
#[derive(Serialize, Default)]
pub struct RatingState {
    pub measure: String,
    pub session: String,
    pub total: String,
    pub source: String,
    pub errors: HashMap<String, String>,
    /// Everything typed, for the items of the chosen measure's form.
    #[serde(skip)]
    pub values: HashMap<String, String>,
}

impl RatingState {
    pub fn from_form(form: FormState) -> Self {
        let value = |name: &str| form.values.get(name).cloned().unwrap_or_default();
        Self {
            measure: value("measure"),
            session: value("session"),
            total: value("total"),
            source: value("source"),
            errors: form.errors,
            values: form.values,
        }
    }
}

/// The client's page (or the new-client page): details form, graph and table, rating forms,
/// devices.
pub(super) fn render(
    state: &AppState,
    actor: &SignedIn,
    form: FormState,
    target: Option<&VisibleClient>,
    page: ClientPage,
    (rating, saved): (RatingState, Option<Saved>),
) -> Template {
    let locale = practice::locale(state, &actor.account);
    let can_manage_devices = actor.role().is_manager();
    let title = target.map_or_else(
        || "New client".to_string(),
        |t| format!("Client: {}", t.full_name),
    );
    let (outcomes, measure_forms, safety_alert) = match (target, page.progress) {
        (Some(client), Some(progress)) => {
            let chart_title = format!("{}: progress by session", client.full_name);
            let panel = progress
                .record
                .as_ref()
                .map(|r| outcome_view(&chart_title, progress.age, r, &locale));
            let empty = HashMap::new();
            let forms = progress
                .measures
                .into_iter()
                .map(|id| {
                    let chosen = rating.measure == id.as_str();
                    let errors = if chosen { &rating.errors } else { &empty };
                    let values = if chosen { &rating.values } else { &empty };
                    measure_form(id, values, errors)
                })
                .collect();
            (panel, forms, progress.safety_alert)
        }
        _ => (None, Vec::new(), false),
    };
    let clinician = target
        .and_then(|t| t.provider_id)
        .and_then(|id| page.providers.iter().find(|p| p.id == id))
        .map(|p| p.full_name.clone())
        .unwrap_or_default();
    let print = PrintHeader {
        practice: actor.account.name.clone(),
        clinician,
        printed: locale.date_time(state.now()),
    };
    Template::render(
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
            providers: page
                .providers
                .into_iter()
                .map(|p| Choice {
                    value: p.id.to_string(),
                    label: p.full_name,
                })
                .collect(),
            can_manage_devices,
            devices: device_rows(page.devices, state.now(), &locale),
            factor_summary: page.factor_summary,
            client_sees_graph: target.is_some_and(|t| t.client_sees_graph),
            invite_schedule: page.invite_schedule,
            questionnaires: ask_rows(&page.asking),
            outcomes,
            measure_forms,
            rating,
            safety_alert,
            phone_hint: phone_hint(&locale),
            saved: saved.map(Saved::message),
            print,
        },
    )
}

/// The client page sent back with a form's errors (details or a rating).
pub async fn client_page(
    state: &AppState,
    actor: &SignedIn,
    form: FormState,
    target: Option<&VisibleClient>,
    rating: RatingState,
) -> Result<Template, AppError> {
    let page = page_data::gather(state, actor, target).await?;
    Ok(render(state, actor, form, target, page, (rating, None)))
}

/// The details form filled in with the client as stored.
pub fn values_of(c: &VisibleClient, locale: &Locale) -> FormState {
    let mut form = FormState::default();
    let mut set = |k: &str, v: Option<String>| {
        form.values.insert(k.to_string(), v.unwrap_or_default());
    };
    set("first_name", c.first_name.clone());
    set("last_name", c.last_name.clone());
    set("age_group", c.age_group.map(|a| a.as_str().to_string()));
    set("phone", c.phone.as_deref().map(|p| locale.phone(p)));
    set("email", c.email.clone());
    set("provider_id", c.provider_id.map(|i| i.to_string()));
    form
}
