//! `/options`: the owner's settings for the practice.

use rocket::http::Status;
use rocket::{Route, State, get, post, routes};
use rocket_dyn_templates::Template;
use serde::Serialize;

use crate::auth::{OwnerUser, RequestMeta, SecureForm};
use crate::domain::{FieldError, Plan, Role};
use crate::error::AppError;
use crate::services::options::{self, OptionsInput};
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
struct OptionsPage {
    layout: Layout,
    form: FormState,
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
            let role = Role::parse(&u.role).unwrap_or(Role::Client);
            Unprotected {
                id: u.id,
                full_name: u.full_name,
                role: role.label(),
                is_client: role == Role::Client,
            }
        })
        .collect();
    Ok(Template::render(
        "options",
        OptionsPage {
            layout: Layout::new(owner, "Options"),
            form,
            mobile_plan,
            plan_label: owner.plan().label(),
            saved,
            missing_phones,
        },
    ))
}

fn current_values(owner: &OwnerUser) -> FormState {
    let mut form = FormState::default();
    let mobile = owner.plan() == Plan::Mobile;
    let flag = |on: bool| {
        if on || mobile {
            "on".to_string()
        } else {
            String::new()
        }
    };
    form.values.insert(
        "staff_two_factor".into(),
        flag(owner.account.staff_two_factor),
    );
    form.values.insert(
        "client_two_factor".into(),
        flag(owner.account.client_two_factor),
    );
    form.values
        .insert("device_days".into(), owner.account.device_days.to_string());
    form.values.insert(
        "idle_minutes".into(),
        owner.account.idle_minutes.to_string(),
    );
    form
}

#[get("/options?<saved>")]
async fn show(
    state: &State<AppState>,
    owner: OwnerUser,
    saved: Option<bool>,
) -> Result<Template, AppError> {
    render(state, &owner, current_values(&owner), saved == Some(true)).await
}

fn parse_range(
    out: &mut FormState,
    field: &'static str,
    raw: &str,
    min: i32,
    max: i32,
    what: &str,
) -> Option<i32> {
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
    let device_days = parse_range(
        &mut out,
        "device_days",
        form.get("device_days"),
        1,
        400,
        "Days a device stays registered",
    );
    let idle_minutes = parse_range(
        &mut out,
        "idle_minutes",
        form.get("idle_minutes"),
        5,
        60,
        "Idle sign-out minutes",
    );
    let (Some(device_days), Some(idle_minutes)) = (device_days, idle_minutes) else {
        return Ok(Page::WithStatus((
            Status::UnprocessableEntity,
            render(state, &owner, out, false).await?,
        )));
    };
    let input = OptionsInput {
        staff_two_factor: form.checked("staff_two_factor"),
        client_two_factor: form.checked("client_two_factor"),
        device_days,
        idle_minutes,
    };
    options::save(
        &state.db,
        state.now(),
        owner.user.id,
        &owner.account,
        input,
        meta.ip,
    )
    .await?;
    Ok(Page::see_other("/options?saved=true"))
}

pub fn routes() -> Vec<Route> {
    routes![show, save]
}
