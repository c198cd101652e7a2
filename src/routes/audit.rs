//! `/audit` and `/audit.csv`: the account's audit log for owners and admins.

use rocket::http::ContentType;
use rocket::{Route, State, get, routes};
use rocket_dyn_templates::Template;
use serde::Serialize;

use crate::auth::ManagerUser;
use crate::error::AppError;
use crate::services::audit::{self, Entry};
use crate::state::AppState;
use crate::views::{Layout, format_time};

#[derive(Serialize)]
struct AuditRow {
    at: String,
    actor: String,
    action: String,
    subject: String,
    ip: String,
    outcome: String,
    details: String,
}

impl From<Entry> for AuditRow {
    fn from(e: Entry) -> Self {
        Self {
            at: format_time(e.at),
            actor: e.actor_id.map(|a| format!("user {a}")).unwrap_or_default(),
            action: e.action,
            subject: e.subject.unwrap_or_default(),
            ip: e.ip.unwrap_or_default(),
            outcome: e.outcome,
            details: e.details.unwrap_or_default(),
        }
    }
}

#[derive(Serialize)]
struct AuditPage {
    layout: Layout,
    rows: Vec<AuditRow>,
}

/// The page shows the latest events; the CSV has them all.
const PAGE_ROWS: u64 = 500;

#[get("/audit")]
async fn page(state: &State<AppState>, actor: ManagerUser) -> Result<Template, AppError> {
    let rows = audit::entries(&state.db, &actor, Some(PAGE_ROWS))
        .await?
        .into_iter()
        .map(AuditRow::from)
        .collect();
    Ok(Template::render(
        "audit",
        AuditPage {
            layout: Layout::new(&actor, "Audit log"),
            rows,
        },
    ))
}

#[get("/audit.csv")]
async fn csv_export(state: &State<AppState>, actor: ManagerUser) -> Result<(ContentType, String), AppError> {
    let mut writer = csv::Writer::from_writer(Vec::new());
    let internal = |e: csv::Error| AppError::Internal(e.to_string());
    writer
        .write_record([
            "time_utc", "actor", "action", "subject", "ip", "outcome", "details",
        ])
        .map_err(internal)?;
    for entry in audit::entries(&state.db, &actor, None).await? {
        let r = AuditRow::from(entry);
        writer
            .write_record([r.at, r.actor, r.action, r.subject, r.ip, r.outcome, r.details])
            .map_err(internal)?;
    }
    let bytes = writer
        .into_inner()
        .map_err(|e| AppError::Internal(e.to_string()))?;
    Ok((ContentType::CSV, String::from_utf8_lossy(&bytes).into_owned()))
}

pub fn routes() -> Vec<Route> {
    routes![page, csv_export]
}
