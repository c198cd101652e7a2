//! "My devices" for everyone, and revoking a person's registrations for owners and admins.

use rocket::{Route, State, get, post, routes};
use rocket_dyn_templates::Template;
use serde::Serialize;

use crate::auth::{CurrentUser, ManagerUser, RequestMeta, SecureForm};
use crate::error::AppError;
use crate::services::audit::{self, Event};
use crate::services::{clients, devices, staff};
use crate::state::AppState;
use crate::views::{DeviceRow, Layout, Page, device_rows};

#[derive(Serialize)]
struct DevicesPage {
    layout: Layout,
    devices: Vec<DeviceRow>,
}

#[get("/devices")]
async fn list(state: &State<AppState>, user: CurrentUser) -> Result<Template, AppError> {
    let devices = device_rows(
        devices::list_for_user(&state.db, user.user.id).await?,
        state.now(),
    );
    Ok(Template::render(
        "devices",
        DevicesPage {
            layout: Layout::new(&user, "My devices"),
            devices,
        },
    ))
}

#[post("/devices/<id>/revoke", data = "<_form>")]
async fn revoke(
    state: &State<AppState>,
    user: CurrentUser,
    id: i32,
    _form: SecureForm,
) -> Result<Page, AppError> {
    devices::revoke_own(&state.db, state.now(), user.user.id, id, "revoked by the user").await?;
    Ok(Page::see_other("/devices"))
}

async fn revoke_for(
    state: &AppState,
    actor: &ManagerUser,
    target_id: i32,
    meta: RequestMeta,
) -> Result<(), AppError> {
    let now = state.now();
    devices::revoke_all(&state.db, now, target_id, "revoked by an owner or admin").await?;
    audit::record(
        &state.db,
        now,
        Event::new("devices.revoked_all", "success")
            .account(actor.account.id)
            .actor(actor.user.id)
            .subject(format!("user {target_id}"))
            .ip(meta.ip),
    )
    .await
}

#[post("/staff/<id>/devices/revoke", data = "<_form>")]
async fn revoke_staff(
    state: &State<AppState>,
    actor: ManagerUser,
    id: i32,
    _form: SecureForm,
    meta: RequestMeta,
) -> Result<Page, AppError> {
    let target = staff::find_managed(&state.db, &actor, id).await?;
    revoke_for(state, &actor, target.id, meta).await?;
    Ok(Page::see_other(format!("/staff/{id}")))
}

#[post("/clients/<id>/devices/revoke", data = "<_form>")]
async fn revoke_client(
    state: &State<AppState>,
    actor: ManagerUser,
    id: i32,
    _form: SecureForm,
    meta: RequestMeta,
) -> Result<Page, AppError> {
    let client = clients::find(&state.db, &actor, id).await?;
    revoke_for(state, &actor, client.id, meta).await?;
    Ok(Page::see_other(format!("/clients/{id}")))
}

pub fn routes() -> Vec<Route> {
    routes![list, revoke, revoke_staff, revoke_client]
}
