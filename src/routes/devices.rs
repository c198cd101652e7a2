//! "My devices" for everyone; revoking a person's registrations and resetting their second
//! factors for owners and admins.

use rocket::{Route, State, get, post, routes};
use rocket_dyn_templates::Template;
use serde::Serialize;

use crate::auth::{CurrentUser, ManagerUser, RequestMeta, SecureForm};
use crate::domain::{ClientId, DeviceId, StaffId};
use crate::error::AppError;
use crate::services::audit::{self, Event};
use crate::services::{authenticator, clients, devices, staff};
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
    id: DeviceId,
    _form: SecureForm,
) -> Result<Page, AppError> {
    devices::revoke_own(
        &state.db,
        state.now(),
        user.user.id,
        id.get(),
        "revoked by the user",
    )
    .await?;
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
    id: StaffId,
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
    id: ClientId,
    _form: SecureForm,
    meta: RequestMeta,
) -> Result<Page, AppError> {
    let client = clients::find(&state.db, &actor, id).await?;
    revoke_for(state, &actor, client.id, meta).await?;
    Ok(Page::see_other(format!("/clients/{id}")))
}

/// Forgets the person's authenticator app and recovery codes, revokes their registrations and
/// ends their sessions: at the next sign-in they set their factors up again. They are e-mailed.
async fn reset_factors(
    state: &AppState,
    actor: &ManagerUser,
    target: &entities::user::Model,
    meta: RequestMeta,
) -> Result<(), AppError> {
    use sea_orm::TransactionTrait;
    let now = state.now();
    let txn = state.db.begin().await?;
    let apps = authenticator::remove_all(&txn, target.id).await?;
    devices::revoke_all(&txn, now, target.id, "second factors reset by an owner or admin").await?;
    crate::auth::session::delete_all_for_user(&txn, target.id, None).await?;
    audit::record(
        &txn,
        now,
        Event::new("two_factor.reset", "success")
            .account(actor.account.id)
            .actor(actor.user.id)
            .subject(format!("user {}", target.id))
            .ip(meta.ip)
            .details(format!(
                "authenticator app {}; recovery codes voided; devices revoked; sessions ended",
                if apps > 0 { "removed" } else { "none" }
            )),
    )
    .await?;
    txn.commit().await?;
    if let Some(email) = target.email.as_deref() {
        let body = format!(
            "{} reset the sign-in security of your Outcomes user \"{}\": your authenticator app and recovery codes no longer work, and every browser must pass the second step again.\n\nAt your next sign-in you will set them up again. If you did not ask for this, tell your account owner.\n",
            actor.user.full_name, target.login
        );
        state
            .mailer
            .send(email, "Outcomes: your sign-in security was reset", &body)
            .await;
    }
    Ok(())
}

#[post("/staff/<id>/two-factor/reset", data = "<_form>")]
async fn reset_staff(
    state: &State<AppState>,
    actor: ManagerUser,
    id: StaffId,
    _form: SecureForm,
    meta: RequestMeta,
) -> Result<Page, AppError> {
    let target = staff::find_managed(&state.db, &actor, id).await?;
    if target.id == actor.user.id {
        // One's own factors change on the Security page, with the current password.
        return Err(AppError::BadRequest(
            "Change your own second factors on the Security page.".into(),
        ));
    }
    reset_factors(state, &actor, &target, meta).await?;
    Ok(Page::see_other(format!("/staff/{id}?reset=true")))
}

#[post("/clients/<id>/two-factor/reset", data = "<_form>")]
async fn reset_client(
    state: &State<AppState>,
    actor: ManagerUser,
    id: ClientId,
    _form: SecureForm,
    meta: RequestMeta,
) -> Result<Page, AppError> {
    let client = clients::find(&state.db, &actor, id).await?;
    reset_factors(state, &actor, &client, meta).await?;
    Ok(Page::see_other(format!("/clients/{id}?reset=true")))
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
