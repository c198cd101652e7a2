//! `/options`: the owner's settings for the practice.

use rocket::http::Status;
use rocket::{Route, State, get, post, routes};
use rocket_dyn_templates::Template;
use sea_orm::TransactionTrait;
use serde::Serialize;

use crate::auth::{OwnerUser, RequestMeta, SecureForm};
use crate::domain::measures::{MeasureId, MeasureKind, measure};
use crate::domain::scoring::FlagSettings;
use crate::domain::{FieldError, Plan, Role};
use crate::error::AppError;
use crate::services::options::{self, OptionsInput};
use crate::services::outcomes::{self, OutcomeSettings};
use crate::state::AppState;
use crate::views::{FormState, Layout, Page};

#[derive(Serialize)]
struct Unprotected {
    id: i32,
    full_name: String,
    role: &'static str,
    is_client: bool,
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
    missing_phones: Vec<Unprotected>,
}

async fn render(
    state: &AppState,
    owner: &OwnerUser,
    form: FormState,
    saved: bool,
) -> Result<Template, AppError> {
    let mobile_plan = owner.plan() == Plan::Mobile;
    let missing_phones = options::missing_phones(&state.db, &owner.account)
        .await?
        .into_iter()
        .map(|u| {
            let role = u.role;
            Unprotected {
                id: u.id,
                full_name: u.full_name,
                role: role.label(),
                is_client: role == Role::Client,
            }
        })
        .collect();
    let chosen: Vec<String> = form
        .values
        .get("measures")
        .map(|l| l.split(',').map(str::to_string).collect())
        .unwrap_or_default();
    let measures = MeasureId::all()
        .into_iter()
        .map(|id| MeasureChoice {
            id: id.as_str(),
            name: measure(id).name,
            checked: chosen.iter().any(|c| c == id.as_str()),
        })
        .collect();
    Ok(Template::render(
        "options",
        OptionsPage {
            layout: Layout::new(owner, "Options"),
            form,
            measures,
            mobile_plan,
            plan_label: owner.plan().label(),
            saved,
            missing_phones,
        },
    ))
}

fn current_values(owner: &OwnerUser, clinical: &OutcomeSettings) -> FormState {
    let mut form = FormState::default();
    let mobile = owner.plan() == Plan::Mobile;
    let flag = |on: bool| {
        if on || mobile {
            "on".to_string()
        } else {
            String::new()
        }
    };
    let mut set = |key: &str, value: String| {
        form.values.insert(key.to_string(), value);
    };
    set("staff_two_factor", flag(owner.account.staff_two_factor));
    set(
        "staff_require_authenticator",
        if owner.account.staff_require_authenticator {
            "on".into()
        } else {
            String::new()
        },
    );
    set("client_two_factor", flag(owner.account.client_two_factor));
    set("device_days", owner.account.device_days.to_string());
    set("idle_minutes", owner.account.idle_minutes.to_string());
    set(
        "measures",
        clinical
            .measures
            .iter()
            .map(|m| m.as_str())
            .collect::<Vec<_>>()
            .join(","),
    );
    set("reliable_change", clinical.flags.reliable_change.to_string());
    set("alliance_cutoff", clinical.flags.alliance_cutoff.to_string());
    set("alliance_drop", clinical.flags.alliance_drop.to_string());
    form
}

#[get("/options?<saved>")]
async fn show(state: &State<AppState>, owner: OwnerUser, saved: Option<bool>) -> Result<Template, AppError> {
    let clinical = outcomes::settings(&state.db, owner.account.id).await?;
    render(
        state,
        &owner,
        current_values(&owner, &clinical),
        saved == Some(true),
    )
    .await
}

fn parse_number(
    out: &mut FormState,
    field: &'static str,
    raw: &str,
    range: (f64, f64),
    what: &str,
) -> Option<f64> {
    let (min, max) = range;
    out.take(
        raw.trim()
            .parse::<f64>()
            .ok()
            .filter(|v| v.is_finite() && (min..=max).contains(v))
            .ok_or_else(|| FieldError::new(field, format!("{what} must be a number from {min} to {max}."))),
    )
}

fn parse_whole(
    out: &mut FormState,
    field: &'static str,
    raw: &str,
    range: (i32, i32),
    what: &str,
) -> Option<i32> {
    let (min, max) = range;
    out.take(
        raw.trim()
            .parse::<i32>()
            .ok()
            .filter(|v| (min..=max).contains(v))
            .ok_or_else(|| {
                FieldError::new(
                    field,
                    format!("{what} must be a whole number from {min} to {max}."),
                )
            }),
    )
}

#[post("/options", data = "<form>")]
async fn save(
    state: &State<AppState>,
    owner: OwnerUser,
    form: SecureForm,
    meta: RequestMeta,
) -> Result<Page, AppError> {
    let mut out = FormState::with_values(form.echo());
    let device_days = parse_whole(
        &mut out,
        "device_days",
        form.get("device_days"),
        (1, 400),
        "Days a device stays registered",
    );
    let idle_minutes = parse_whole(
        &mut out,
        "idle_minutes",
        form.get("idle_minutes"),
        (5, 60),
        "Idle sign-out minutes",
    );
    let reliable_change = parse_number(
        &mut out,
        "reliable_change",
        form.get("reliable_change"),
        (1.0, 20.0),
        "Reliable change",
    );
    let alliance_cutoff = parse_number(
        &mut out,
        "alliance_cutoff",
        form.get("alliance_cutoff"),
        (0.0, 40.0),
        "Alliance cut-off",
    );
    let alliance_drop = parse_number(
        &mut out,
        "alliance_drop",
        form.get("alliance_drop"),
        (0.1, 10.0),
        "Alliance drop",
    );
    let chosen: Vec<MeasureId> = form
        .all("measures")
        .into_iter()
        .filter_map(MeasureId::parse)
        .collect();
    out.values.insert(
        "measures".into(),
        chosen.iter().map(|m| m.as_str()).collect::<Vec<_>>().join(","),
    );
    if !chosen.iter().any(|m| measure(*m).kind == MeasureKind::Outcome) {
        out.add(FieldError::new(
            "measures",
            "Keep at least one outcome measure (ORS or CORS) switched on.",
        ));
    }
    let (
        Some(device_days),
        Some(idle_minutes),
        Some(reliable_change),
        Some(alliance_cutoff),
        Some(alliance_drop),
    ) = (
        device_days,
        idle_minutes,
        reliable_change,
        alliance_cutoff,
        alliance_drop,
    )
    else {
        return Ok(Page::WithStatus((
            Status::UnprocessableEntity,
            render(state, &owner, out, false).await?,
        )));
    };
    if !out.is_valid() {
        return Ok(Page::WithStatus((
            Status::UnprocessableEntity,
            render(state, &owner, out, false).await?,
        )));
    }
    let input = OptionsInput {
        staff_two_factor: form.checked("staff_two_factor"),
        staff_require_authenticator: form.checked("staff_require_authenticator"),
        client_two_factor: form.checked("client_two_factor"),
        device_days,
        idle_minutes,
    };
    let clinical = OutcomeSettings {
        measures: chosen,
        flags: FlagSettings {
            reliable_change,
            alliance_cutoff,
            alliance_drop,
        },
    };
    // Both halves of the page are saved together or not at all.
    let txn = state.db.begin().await?;
    options::save(&txn, state.now(), owner.user.id, &owner.account, input, meta.ip).await?;
    let before = outcomes::settings(&txn, owner.account.id).await?;
    outcomes::save_settings(&txn, owner.account.id, &clinical).await?;
    if before != clinical {
        let list = |m: &[MeasureId]| m.iter().map(|x| x.as_str()).collect::<Vec<_>>().join(",");
        let f = |x: &FlagSettings| {
            format!(
                "reliable_change {}, alliance_cutoff {}, alliance_drop {}",
                x.reliable_change, x.alliance_cutoff, x.alliance_drop
            )
        };
        crate::services::audit::record(
            &txn,
            state.now(),
            crate::services::audit::Event::new("options.changed", "success")
                .account(owner.account.id)
                .actor(owner.user.id)
                .details(format!(
                    "measures: {} -> {}; {} -> {}",
                    list(&before.measures),
                    list(&clinical.measures),
                    f(&before.flags),
                    f(&clinical.flags)
                )),
        )
        .await?;
    }
    if before.flags != clinical.flags {
        // Dashboards read stored flags: bring them in line with the new thresholds now.
        outcomes::refresh_account_summaries(&txn, owner.account.id, &clinical, state.now()).await?;
    }
    txn.commit().await?;
    Ok(Page::see_other("/options?saved=true"))
}

pub fn routes() -> Vec<Route> {
    routes![show, save]
}
