//! `/dashboard`: a provider's caseload, a supervisor's providers, and the account-wide figures
//! for owners and admins.

use std::collections::BTreeMap;

use rocket::{Route, State, get, routes};
use rocket_dyn_templates::Template;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde::Serialize;

use entities::user;

use crate::auth::StaffUser;
use crate::domain::Role;
use crate::domain::scoring::Flag;
use crate::error::AppError;
use crate::services::dashboards::{self, AccountFigures, CaseloadRow};
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
    let role = actor.role();
    let (caseload, groups, figures, more_flagged) = match role {
        Role::Owner | Role::Admin => {
            let (flagged, more) = dashboards::attention(&state.db, actor.account.id, ATTENTION_LIMIT).await?;
            let figures = dashboards::account_figures(&state.db, actor.account.id).await?;
            (flagged, Vec::new(), Some(figures), more)
        }
        Role::Supervisor => {
            let rows = dashboards::caseload(&state.db, &actor).await?;
            let names: BTreeMap<i32, String> = user::Entity::find()
                .filter(user::Column::AccountId.eq(actor.account.id))
                .filter(user::Column::Role.ne(Role::Client))
                .all(&state.db)
                .await?
                .into_iter()
                .map(|u| (u.id, u.full_name))
                .collect();
            let mut by_provider: BTreeMap<String, Vec<CaseloadRow>> = BTreeMap::new();
            for row in rows {
                let name = row
                    .provider_id
                    .and_then(|id| names.get(&id).cloned())
                    .unwrap_or_else(|| "Unassigned".into());
                by_provider.entry(name).or_default().push(row);
            }
            let groups = by_provider
                .into_iter()
                .map(|(provider, clients)| {
                    let count = |flag: Flag| clients.iter().filter(|c| c.outcome_flag == flag).count();
                    ProviderGroup {
                        red: count(Flag::Red),
                        amber: count(Flag::Amber),
                        green: count(Flag::Green),
                        grey: count(Flag::Grey),
                        provider,
                        clients,
                    }
                })
                .collect();
            (Vec::new(), groups, None, 0)
        }
        _ => (
            dashboards::caseload(&state.db, &actor).await?,
            Vec::new(),
            None,
            0,
        ),
    };
    Ok(Template::render(
        "dashboard",
        DashboardPage {
            layout: Layout::new(&actor, "Dashboard"),
            caseload,
            groups,
            figures,
            more_flagged,
        },
    ))
}

pub fn routes() -> Vec<Route> {
    routes![dashboard]
}
