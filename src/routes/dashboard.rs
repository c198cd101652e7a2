//! `/dashboard`: one page of a worst-first list for every role — a provider's caseload, the
//! clients needing attention among a supervisor's providers (with a line per provider) or
//! across the practice (with the account-wide figures for owners and admins).

use rocket::{Route, State, get, routes};
use rocket_dyn_templates::Template;
use serde::Serialize;

use crate::auth::StaffUser;
use crate::domain::Role;
use crate::error::AppError;
use crate::services::dashboards::{self, AccountFigures, Dashboard, ProviderSummary};
use crate::services::{outbox, practice};
use crate::state::AppState;
use crate::views::Layout;
use crate::views::lists::ClientPage;

#[derive(Serialize)]
struct DashboardPage {
    layout: Layout,
    /// "provider", "supervisor" or "account".
    view: &'static str,
    list: ClientPage,
    providers: Vec<ProviderSummary>,
    figures: Option<AccountFigures>,
    /// Owner only: texts and e-mails the outbox gave up on (SPEC §3.1).
    failed_messages: Vec<FailedRow>,
}

#[derive(Serialize)]
struct FailedRow {
    at: String,
    channel: &'static str,
    to: String,
    purpose: String,
    attempts: i32,
    error: String,
}

fn link(page: u64) -> String {
    format!("/dashboard?page={page}")
}

/// `page` past the end shows the last page; anything not a number shows the first.
#[get("/dashboard?<page>")]
async fn dashboard(
    state: &State<AppState>,
    actor: StaffUser,
    page: Option<u64>,
) -> Result<Template, AppError> {
    let layout = Layout::new(&actor, "Dashboard");
    let locale = practice::locale(state, &actor.account);
    let page = match dashboards::for_staff(&state.db, &actor, page.unwrap_or(1)).await? {
        Dashboard::Account { attention, figures } => DashboardPage {
            layout,
            view: "account",
            list: ClientPage::new(attention, &locale, link),
            providers: Vec::new(),
            figures: Some(figures),
            failed_messages: Vec::new(),
        },
        Dashboard::Supervisor { providers, attention } => DashboardPage {
            layout,
            view: "supervisor",
            list: ClientPage::new(attention, &locale, link),
            providers,
            figures: None,
            failed_messages: Vec::new(),
        },
        Dashboard::Provider(caseload) => DashboardPage {
            layout,
            view: "provider",
            list: ClientPage::new(caseload, &locale, link),
            providers: Vec::new(),
            figures: None,
            failed_messages: Vec::new(),
        },
    };
    let mut page = page;
    if actor.user.role == Role::Owner {
        page.failed_messages = outbox::failed_for_account(&state.db, actor.account.id)
            .await?
            .into_iter()
            .map(|m| FailedRow {
                at: locale.date_time(m.created_at),
                channel: m.channel,
                to: m.to,
                purpose: m.purpose.replace('_', " "),
                attempts: m.attempts,
                error: m.error,
            })
            .collect();
    }
    Ok(Template::render("dashboard", page))
}

pub fn routes() -> Vec<Route> {
    routes![dashboard]
}
