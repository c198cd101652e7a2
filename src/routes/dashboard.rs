//! `/dashboard`: a provider's caseload, a supervisor's providers, and the account-wide figures
//! for owners and admins.

use rocket::{Route, State, get, routes};
use rocket_dyn_templates::Template;
use serde::Serialize;

use crate::auth::StaffUser;
use crate::domain::scoring::Flag;
use crate::error::AppError;
use crate::services::dashboards::{self, AccountFigures, CaseloadRow, Dashboard, ProviderCaseload};
use crate::state::AppState;
use crate::views::Layout;

#[derive(Serialize)]
struct ProviderGroup {
    provider: String,
    clients: Vec<CaseloadRow>,
    red: usize,
    amber: usize,
    green: usize,
    grey: usize,
}

impl From<ProviderCaseload> for ProviderGroup {
    fn from(group: ProviderCaseload) -> Self {
        let count = |flag: Flag| group.clients.iter().filter(|c| c.outcome_flag == flag).count();
        Self {
            red: count(Flag::Red),
            amber: count(Flag::Amber),
            green: count(Flag::Green),
            grey: count(Flag::Grey),
            provider: group.provider,
            clients: group.clients,
        }
    }
}

#[derive(Serialize)]
struct DashboardPage {
    layout: Layout,
    /// Provider: their whole caseload. Owner/admin: the clients needing attention.
    caseload: Vec<CaseloadRow>,
    groups: Vec<ProviderGroup>,
    figures: Option<AccountFigures>,
    more_flagged: u64,
}

/// Owners and admins see at most this many flagged clients here; `/clients` lists everyone.
const ATTENTION_LIMIT: u64 = 100;

#[get("/dashboard")]
async fn dashboard(state: &State<AppState>, actor: StaffUser) -> Result<Template, AppError> {
    let layout = Layout::new(&actor, "Dashboard");
    let page = match dashboards::for_staff(&state.db, &actor, ATTENTION_LIMIT).await? {
        Dashboard::Account {
            flagged,
            more_flagged,
            figures,
        } => DashboardPage {
            layout,
            caseload: flagged,
            groups: Vec::new(),
            figures: Some(figures),
            more_flagged,
        },
        Dashboard::Supervisor(groups) => DashboardPage {
            layout,
            caseload: Vec::new(),
            groups: groups.into_iter().map(ProviderGroup::from).collect(),
            figures: None,
            more_flagged: 0,
        },
        Dashboard::Provider(caseload) => DashboardPage {
            layout,
            caseload,
            groups: Vec::new(),
            figures: None,
            more_flagged: 0,
        },
    };
    Ok(Template::render("dashboard", page))
}

pub fn routes() -> Vec<Route> {
    routes![dashboard]
}
