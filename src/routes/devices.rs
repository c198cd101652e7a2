//! "My devices" for everyone; revoking a person's registrations and resetting their second
//! factors for owners and admins.

use rocket::{Route, State, get, post, routes};
use rocket_dyn_templates::Template;
use serde::Serialize;

use crate::auth::{CsrfChecked, CurrentUser, ManagerUser, RequestMeta};
use crate::domain::{ClientId, DeviceId, StaffId};
use crate::error::AppError;
use crate::routes::step_up::FreshSecondFactor;
use crate::services::{clients, devices, practice, second_factors, staff};
use crate::state::AppState;
use crate::views::{DeviceRow, Layout, Page, device_rows};

#[derive(Serialize)]
struct DevicesPage {
    layout: Layout,
    devices: Vec<DeviceRow>,
    saved: bool,
}

#[get("/devices?<saved>")]
async fn list(state: &State<AppState>, user: CurrentUser, saved: Option<&str>) -> Result<Template, AppError> {
    let devices = device_rows(
        devices::list_for_user(&state.db, user.user.id).await?,
        state.now(),
        &practice::locale(state, &user.account),
    );
    Ok(Template::render(
        "devices",
        DevicesPage {
            layout: Layout::new(&user, "My devices"),
            devices,
            saved: saved.is_some(),
        },
    ))
}

#[post("/devices/<id>/revoke", data = "<_form>")]
async fn revoke(
    state: &State<AppState>,
    user: CurrentUser,
    id: DeviceId,
    _form: CsrfChecked,
    meta: RequestMeta,
) -> Result<Page, AppError> {
    devices::revoke_own(state, &user, id, meta.ip).await?;
    Ok(Page::see_other("/devices?saved=revoked"))
}

#[post("/staff/<id>/devices/revoke", data = "<_form>")]
async fn revoke_staff(
    state: &State<AppState>,
    actor: ManagerUser,
    id: StaffId,
    _form: CsrfChecked,
    meta: RequestMeta,
) -> Result<Page, AppError> {
    let target = staff::find_managed(&state.db, &actor, id).await?;
    devices::revoke_all_of(state, &actor, &target, meta.ip).await?;
    Ok(Page::see_other(format!("/staff/{id}?saved=devices-revoked")))
}

#[post("/clients/<id>/devices/revoke", data = "<_form>")]
async fn revoke_client(
    state: &State<AppState>,
    actor: ManagerUser,
    id: ClientId,
    _form: CsrfChecked,
    meta: RequestMeta,
) -> Result<Page, AppError> {
    let client = clients::find(&state.db, &actor, id).await?;
    devices::revoke_all_of(state, &actor, &client, meta.ip).await?;
    Ok(Page::see_other(format!("/clients/{id}?saved=devices-revoked")))
}

#[post("/staff/<id>/two-factor/reset", data = "<_form>")]
async fn reset_staff(
    state: &State<AppState>,
    actor: ManagerUser,
    _fresh: FreshSecondFactor,
    id: StaffId,
    _form: CsrfChecked,
    meta: RequestMeta,
) -> Result<Page, AppError> {
    let target = staff::find_managed(&state.db, &actor, id).await?;
    second_factors::reset(state, &actor, &target, meta.ip).await?;
    Ok(Page::see_other(format!("/staff/{id}?saved=factors-reset")))
}

#[post("/clients/<id>/two-factor/reset", data = "<_form>")]
async fn reset_client(
    state: &State<AppState>,
    actor: ManagerUser,
    _fresh: FreshSecondFactor,
    id: ClientId,
    _form: CsrfChecked,
    meta: RequestMeta,
) -> Result<Page, AppError> {
    let client = clients::find(&state.db, &actor, id).await?;
    second_factors::reset(state, &actor, &client, meta.ip).await?;
    Ok(Page::see_other(format!("/clients/{id}?saved=factors-reset")))
}

pub fn routes() -> Vec<Route> {
    routes![
        list,
        revoke,
        revoke_staff,
        revoke_client,
        reset_staff,
        reset_client
    ]
}
