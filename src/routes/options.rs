//! `/options`: the owner's settings for the practice.

use rocket::form::{self, Contextual, FromFormField, ValueField};
use rocket::http::Status;
use rocket::{FromForm, Route, State, get, post, routes};
use rocket_dyn_templates::Template;
use serde::Serialize;

use crate::auth::{CsrfForm, OwnerUser, RequestMeta};
use crate::domain::measures::{MeasureId, MeasureKind, measure};
use crate::domain::{PhoneRegion, Plan, Role, TimeZone};
use crate::error::AppError;
use crate::routes::fields::{Checkbox, Kept, Trimmed, within};
use crate::routes::step_up::FreshSecondFactor;
use crate::services::options::{self, LocaleChange, Options, Unprotected};
use crate::services::practice;
use crate::state::AppState;
use crate::views::{FormState, Layout, Page};

#[derive(Serialize)]
struct UnprotectedRow {
    id: i32,
    full_name: String,
    role: &'static str,
    is_client: bool,
}

impl From<Unprotected> for UnprotectedRow {
    fn from(person: Unprotected) -> Self {
        Self {
            id: person.id,
            full_name: person.full_name,
            role: person.role.label(),
            is_client: person.role == Role::Client,
        }
    }
}

#[derive(Serialize)]
struct MeasureChoice {
    id: &'static str,
    name: &'static str,
    checked: bool,
}

#[derive(Serialize)]
struct OptionsPage {
    layout: Layout,
    form: FormState,
    measures: Vec<MeasureChoice>,
    mobile_plan: bool,
    plan_label: &'static str,
    saved: bool,
    missing_phones: Vec<UnprotectedRow>,
    locale: LocaleChoices,
    sso: super::options_sso::SsoSection,
}

// --- The practice's time zone and phone country ---

#[derive(Serialize)]
struct Choice {
    value: String,
    label: String,
}

/// The locale block's lists, and what the practice's times look like now.
#[derive(Serialize)]
struct LocaleChoices {
    zones: Vec<Choice>,
    regions: Vec<Choice>,
    now_example: String,
    phone_example: String,
}

fn locale_choices(state: &AppState, owner: &OwnerUser) -> LocaleChoices {
    let locale = practice::locale(state, &owner.account);
    let choice = |value: &str, label: String| Choice {
        value: value.to_string(),
        label,
    };
    LocaleChoices {
        zones: TimeZone::choices()
            .into_iter()
            .map(|z| choice(z, z.replace('_', " ")))
            .collect(),
        regions: PhoneRegion::choices()
            .into_iter()
            .map(|r| {
                let code = r.calling_code().map(|c| format!(" (+{c})")).unwrap_or_default();
                choice(r.code(), format!("{}{code}", r.code()))
            })
            .collect(),
        now_example: locale.date_time(state.now()),
        phone_example: locale.region.example().unwrap_or_default(),
    }
}

/// A ticked measure; an id the page never offered is dropped, as it always was.
struct Ticked(Option<MeasureId>);

#[rocket::async_trait]
impl<'v> FromFormField<'v> for Ticked {
    fn from_value(field: ValueField<'v>) -> form::Result<'v, Self> {
        Ok(Self(MeasureId::parse(field.value)))
    }
}

/// For `#[field(validate = keeps_an_outcome_measure())]`: ORS or CORS stays on.
fn keeps_an_outcome_measure<'v>(ticked: &[Ticked]) -> form::Result<'v, ()> {
    if ticked
        .iter()
        .filter_map(|t| t.0)
        .any(|m| measure(m).kind == MeasureKind::Outcome)
    {
        Ok(())
    } else {
        Err(form::Error::validation(MEASURES_REFUSED).into())
    }
}

/// The Options form: every field is context-free, so each is checked at the edge.
#[derive(FromForm)]
struct OptionsForm {
    staff_two_factor: Checkbox,
    staff_require_authenticator: Checkbox,
    admin_require_passkey: Checkbox,
    client_two_factor: Checkbox,
    #[field(validate = within(1, 400))]
    device_days: Trimmed<i32>,
    #[field(validate = within(5, 60))]
    idle_minutes: Trimmed<i32>,
    #[field(validate = within(1.0, 20.0))]
    reliable_change: Trimmed<f64>,
    #[field(validate = within(0.0, 40.0))]
    alliance_cutoff: Trimmed<f64>,
    #[field(validate = within(0.1, 10.0))]
    alliance_drop: Trimmed<f64>,
    #[field(validate = keeps_an_outcome_measure())]
    measures: Vec<Ticked>,
    // The practice's locale (its own block of the page).
    time_zone: Kept<TimeZone>,
    phone_region: Kept<PhoneRegion>,
}

/// What a re-rendered form puts back: all of it.
const ECHO: &[&str] = &[
    "staff_two_factor",
    "staff_require_authenticator",
    "admin_require_passkey",
    "client_two_factor",
    "device_days",
    "idle_minutes",
    "measures",
    "reliable_change",
    "alliance_cutoff",
    "alliance_drop",
    "time_zone",
    "phone_region",
];

const MEASURES_REFUSED: &str = "Keep at least one outcome measure (ORS or CORS) switched on.";

/// The page's own words for each refusal, whatever the parser said.
const MESSAGES: &[(&str, &str)] = &[
    (
        "device_days",
        "Days a device stays registered must be a whole number from 1 to 400.",
    ),
    (
        "idle_minutes",
        "Idle sign-out minutes must be a whole number from 5 to 60.",
    ),
    (
        "reliable_change",
        "Reliable change must be a number from 1 to 20.",
    ),
    (
        "alliance_cutoff",
        "Alliance cut-off must be a number from 0 to 40.",
    ),
    ("alliance_drop", "Alliance drop must be a number from 0.1 to 10."),
    ("measures", MEASURES_REFUSED),
    (
        "time_zone",
        "Choose a time zone from the list, e.g. America/New_York.",
    ),
    ("phone_region", "Choose a country from the list, e.g. US or GB."),
];

async fn render(
    state: &AppState,
    owner: &OwnerUser,
    form: FormState,
    saved: bool,
) -> Result<Template, AppError> {
    let sso = super::options_sso::section(state, owner, false).await?;
    render_all(state, owner, form, saved, sso).await
}

/// The page with the saved options and this *Single sign-on* section (kept values, errors).
pub(crate) async fn render_with_sso(
    state: &AppState,
    owner: &OwnerUser,
    sso: super::options_sso::SsoSection,
) -> Result<Template, AppError> {
    let current = options::current(&state.db, owner).await?;
    render_all(state, owner, current_values(state, owner, &current), false, sso).await
}

async fn render_all(
    state: &AppState,
    owner: &OwnerUser,
    form: FormState,
    saved: bool,
    sso: super::options_sso::SsoSection,
) -> Result<Template, AppError> {
    let missing_phones = options::missing_phones(&state.db, owner)
        .await?
        .into_iter()
        .map(UnprotectedRow::from)
        .collect();
    let chosen: Vec<&str> = form
        .values
        .get("measures")
        .map(|l| l.split(',').collect())
        .unwrap_or_default();
    let measures = MeasureId::all()
        .into_iter()
        .map(|id| MeasureChoice {
            id: id.as_str(),
            name: measure(id).name,
            checked: chosen.contains(&id.as_str()),
        })
        .collect();
    let page = OptionsPage {
        layout: Layout::new(owner, "Options"),
        measures,
        mobile_plan: owner.plan() == Plan::Mobile,
        plan_label: owner.plan().label(),
        saved,
        missing_phones,
        locale: locale_choices(state, owner),
        form,
        sso,
    };
    Ok(Template::render("options", page))
}

/// The saved options as the form shows them. On the mobile plan, two-factor is on whatever
/// the switches say.
fn current_values(state: &AppState, owner: &OwnerUser, current: &Options) -> FormState {
    let mut form = FormState::default();
    let mobile = owner.plan() == Plan::Mobile;
    let ticked = |on: bool| if on { "on".to_string() } else { String::new() };
    let mut set = |key: &str, value: String| {
        form.values.insert(key.to_string(), value);
    };
    set("staff_two_factor", ticked(current.staff_two_factor || mobile));
    set(
        "staff_require_authenticator",
        ticked(current.staff_require_authenticator),
    );
    set("admin_require_passkey", ticked(current.admin_require_passkey));
    set("client_two_factor", ticked(current.client_two_factor || mobile));
    set("device_days", current.device_days.to_string());
    set("idle_minutes", current.idle_minutes.to_string());
    set(
        "measures",
        current
            .measures
            .iter()
            .map(|m| m.as_str())
            .collect::<Vec<_>>()
            .join(","),
    );
    set("reliable_change", current.reliable_change.to_string());
    set("alliance_cutoff", current.alliance_cutoff.to_string());
    set("alliance_drop", current.alliance_drop.to_string());
    let locale = practice::locale(state, &owner.account);
    set("time_zone", locale.zone.name().to_string());
    set("phone_region", locale.region.code().to_string());
    form
}

#[get("/options?<saved>&<sso_saved>")]
async fn show(
    state: &State<AppState>,
    owner: OwnerUser,
    saved: Option<bool>,
    sso_saved: Option<bool>,
) -> Result<Template, AppError> {
    let current = options::current(&state.db, &owner).await?;
    let sso = super::options_sso::section(state, &owner, sso_saved == Some(true)).await?;
    render_all(
        state,
        &owner,
        current_values(state, &owner, &current),
        saved == Some(true),
        sso,
    )
    .await
}

#[post("/options", data = "<form>")]
async fn save(
    state: &State<AppState>,
    owner: OwnerUser,
    _fresh: FreshSecondFactor,
    form: CsrfForm<Contextual<'_, OptionsForm>>,
    meta: RequestMeta,
) -> Result<Page, AppError> {
    let CsrfForm(form) = form;
    let Some(input) = form.value else {
        let out = FormState::from_context(&form.context, ECHO, MESSAGES);
        return Ok(Page::WithStatus((
            Status::UnprocessableEntity,
            render(state, &owner, out, false).await?,
        )));
    };
    let input = Options {
        staff_two_factor: input.staff_two_factor.0,
        staff_require_authenticator: input.staff_require_authenticator.0,
        admin_require_passkey: input.admin_require_passkey.0,
        client_two_factor: input.client_two_factor.0,
        device_days: input.device_days.0,
        idle_minutes: input.idle_minutes.0,
        measures: input.measures.into_iter().filter_map(|t| t.0).collect(),
        reliable_change: input.reliable_change.0,
        alliance_cutoff: input.alliance_cutoff.0,
        alliance_drop: input.alliance_drop.0,
        locale: LocaleChange {
            time_zone: input.time_zone.0,
            phone_region: input.phone_region.0,
        },
    };
    match options::save(state, &owner, input, meta.ip).await {
        Ok(()) => Ok(Page::see_other("/options?saved=true")),
        Err(AppError::Invalid(errors)) => {
            let mut out = FormState::from_context(&form.context, ECHO, MESSAGES);
            for error in errors {
                out.add(error);
            }
            Ok(Page::WithStatus((
                Status::UnprocessableEntity,
                render(state, &owner, out, false).await?,
            )))
        }
        Err(other) => Err(other),
    }
}

pub fn routes() -> Vec<Route> {
    routes![show, save]
}
