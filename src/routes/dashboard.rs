//! `/dashboard` for staff and `/my` for clients.

use rocket::{Route, State, get, routes};
use rocket_dyn_templates::Template;
use serde::Serialize;

use crate::auth::{ClientUser, StaffUser};
use crate::error::AppError;
use crate::services::clients;
use crate::state::AppState;
use crate::views::Layout;

#[derive(Serialize)]
struct CaseloadRow {
    id: i32,
    full_name: String,
    age_group: String,
}

#[derive(Serialize)]
struct DashboardPage {
    layout: Layout,
    caseload: Vec<CaseloadRow>,
}

#[get("/dashboard")]
async fn dashboard(state: &State<AppState>, actor: StaffUser) -> Result<Template, AppError> {
    let caseload = clients::list(&state.db, &actor)
        .await?
        .into_iter()
        .filter(|c| c.active)
        .map(|c| CaseloadRow {
            id: c.id,
            full_name: c.full_name,
            age_group: c.age_group.unwrap_or_default(),
        })
        .collect();
    Ok(Template::render(
        "dashboard",
        DashboardPage {
            layout: Layout::new(&actor, "Dashboard"),
            caseload,
        },
    ))
}

#[derive(Serialize)]
struct MyPage {
    layout: Layout,
}

#[get("/my")]
fn my(client: ClientUser) -> Template {
    Template::render(
        "my",
        MyPage {
            layout: Layout::new(&client, "My measures"),
        },
    )
}

pub fn routes() -> Vec<Route> {
    routes![dashboard, my]
}
