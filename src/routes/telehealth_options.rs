//! `/options/telehealth` (owner): how long measures links last (`invite_hours`, 1–336), the hour
//! scheduled links go out (`send_hour`, 8–20, inside the practice's texting hours), the reminder
//! delay (`reminder_hours`, 0 = none, up to 336) and the crisis text clients see after a safety
//! answer.

use std::collections::HashMap;

use rocket::form::Contextual;
use rocket::http::Status;
use rocket::{FromForm, Route, State, get, post, routes};
use rocket_dyn_templates::Template;
use serde::Serialize;

use crate::auth::{CsrfForm, OwnerUser, RequestMeta};
use crate::error::AppError;
use crate::services::telehealth::{self, DEFAULT_CRISIS_TEXT, Telehealth};
use crate::state::AppState;
use crate::views::{FormState, Layout, Page};

#[derive(Serialize)]
struct TelehealthPage {
    layout: Layout,
    form: FormState,
    saved: bool,
    default_crisis_text: &'static str,
}

fn page(owner: &OwnerUser, form: FormState, saved: bool) -> Template {
    Template::render(
        "telehealth_options",
        TelehealthPage {
            layout: Layout::new(owner, "Invitations and safety"),
            form,
            saved,
            default_crisis_text: DEFAULT_CRISIS_TEXT,
        },
    )
}

#[get("/options/telehealth?<saved>")]
async fn show(state: &State<AppState>, owner: OwnerUser, saved: Option<bool>) -> Result<Template, AppError> {
    let current = telehealth::settings(&state.db, owner.account.id).await?;
    let values = HashMap::from([
        ("invite_hours".to_string(), current.invite_hours.to_string()),
        ("send_hour".to_string(), current.send_hour.to_string()),
        ("reminder_hours".to_string(), current.reminder_hours.to_string()),
        ("crisis_text".to_string(), current.crisis_text),
    ]);
    Ok(page(&owner, FormState::with_values(values), saved == Some(true)))
}

#[derive(FromForm)]
struct TelehealthForm<'r> {
    #[field(default = "")]
    invite_hours: &'r str,
    #[field(default = "")]
    send_hour: &'r str,
    #[field(default = "")]
    reminder_hours: &'r str,
    #[field(default = "")]
    crisis_text: &'r str,
}

/// A whole number in `min..=max`, or the field's message.
fn number(raw: &str, min: i32, max: i32, what: &str) -> Result<i32, String> {
    raw.trim()
        .parse::<i32>()
        .ok()
        .filter(|n| (min..=max).contains(n))
        .ok_or_else(|| format!("{what}: a whole number from {min} to {max}."))
}

#[post("/options/telehealth", data = "<form>")]
async fn save(
    state: &State<AppState>,
    owner: OwnerUser,
    form: CsrfForm<Contextual<'_, TelehealthForm<'_>>>,
    meta: RequestMeta,
) -> Result<Page, AppError> {
    let CsrfForm(form) = form;
    let mut typed = FormState::from_context(
        &form.context,
        &["invite_hours", "send_hour", "reminder_hours", "crisis_text"],
        &[],
    );
    let Some(raw) = form.value else {
        return Ok(Page::WithStatus((
            Status::UnprocessableEntity,
            page(&owner, typed, false),
        )));
    };
    let mut check = |field: &str, result: Result<i32, String>| match result {
        Ok(n) => Some(n),
        Err(message) => {
            typed.errors.insert(field.to_string(), message);
            None
        }
    };
    let invite_hours = check(
        "invite_hours",
        number(raw.invite_hours, 1, 336, "Hours a link lasts"),
    );
    let send_hour = check("send_hour", number(raw.send_hour, 8, 20, "Sending hour"));
    let reminder_hours = check(
        "reminder_hours",
        number(raw.reminder_hours, 0, 336, "Hours before the reminder"),
    );
    let crisis_text = raw.crisis_text.trim().to_string();
    if crisis_text.chars().count() > 500 {
        typed.errors.insert(
            "crisis_text".into(),
            "The crisis text: at most 500 characters.".into(),
        );
    }
    match (invite_hours, send_hour, reminder_hours) {
        (Some(invite_hours), Some(send_hour), Some(reminder_hours)) if typed.errors.is_empty() => {
            let settings = Telehealth {
                crisis_text,
                invite_hours,
                send_hour,
                reminder_hours,
            };
            telehealth::save(state, &owner, owner.account.id, &settings, meta.ip).await?;
            Ok(Page::see_other("/options/telehealth?saved=true"))
        }
        _ => Ok(Page::WithStatus((
            Status::UnprocessableEntity,
            page(&owner, typed, false),
        ))),
    }
}

pub fn routes() -> Vec<Route> {
    routes![show, save]
}
