//! Registered devices as a person sees and manages them: listing and revoking.

use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, TransactionTrait, sea_query::Expr,
};

use entities::device;

use crate::auth::guards::SignedIn;
use crate::domain::DeviceId;
use crate::error::AppError;
use crate::services::audit::{self, Event, Origin};
use crate::services::people::CheckedPerson;
use crate::state::AppState;

/// Revokes every live registration of a user (password or phone change, deactivation, revoke all).
pub async fn revoke_all(
    db: &impl ConnectionTrait,
    now: i64,
    user_id: i32,
    reason: &str,
    origin: &Origin,
) -> Result<u64, AppError> {
    // Open code challenges belong to the old password or phone: end them too.
    entities::challenge::Entity::update_many()
        .col_expr(entities::challenge::Column::ExpiresAt, Expr::value(now))
        .filter(entities::challenge::Column::UserId.eq(user_id))
        .filter(entities::challenge::Column::ConsumedAt.is_null())
        .filter(entities::challenge::Column::ExpiresAt.gt(now))
        .exec(db)
        .await?;
    let live = device::Entity::find()
        .filter(device::Column::UserId.eq(user_id))
        .filter(device::Column::RevokedAt.is_null())
        .all(db)
        .await?;
    if live.is_empty() {
        return Ok(0);
    }
    let result = device::Entity::update_many()
        .col_expr(device::Column::RevokedAt, Expr::value(now))
        .col_expr(device::Column::RevokedReason, Expr::value(reason))
        .filter(device::Column::UserId.eq(user_id))
        .filter(device::Column::RevokedAt.is_null())
        .exec(db)
        .await?;
    for registration in &live {
        audit::record(
            db,
            now,
            Event::new("device.revoked", "success")
                .account(registration.account_id)
                .by(origin)
                .subject(format!("user {user_id}"))
                .details(format!(
                    "device {} ({}): {reason}",
                    registration.id, registration.label
                )),
        )
        .await?;
    }
    Ok(result.rows_affected)
}

/// A user's registrations, newest first (revoked ones included, marked).
pub async fn list_for_user(db: &impl ConnectionTrait, user_id: i32) -> Result<Vec<device::Model>, AppError> {
    Ok(device::Entity::find()
        .filter(device::Column::UserId.eq(user_id))
        .order_by_desc(device::Column::CreatedAt)
        .all(db)
        .await?)
}

/// Revokes one of the person's own registrations; another's is "not found".
pub async fn revoke_own(
    state: &AppState,
    actor: &SignedIn,
    id: DeviceId,
    ip: Option<String>,
) -> Result<(), AppError> {
    let db = &state.db;
    let user_id = actor.user.id;
    let reason = "revoked by the user";
    let found = device::Entity::find_by_id(id.get())
        .filter(device::Column::UserId.eq(user_id))
        .one(db)
        .await?
        .ok_or(AppError::NotFound)?;
    if found.revoked_at.is_some() {
        return Ok(());
    }
    let now = state.now();
    device::Entity::update_many()
        .col_expr(device::Column::RevokedAt, Expr::value(now))
        .col_expr(device::Column::RevokedReason, Expr::value(reason))
        .filter(device::Column::Id.eq(found.id))
        .filter(device::Column::RevokedAt.is_null())
        .exec(db)
        .await?;
    audit::record(
        db,
        now,
        Event::new("device.revoked", "success")
            .account(found.account_id)
            .actor(user_id)
            .ip(ip)
            .subject(format!("user {user_id}"))
            .details(format!("device {} ({}): {reason}", found.id, found.label)),
    )
    .await
}

/// An owner or admin revokes every registration of someone they manage or see.
pub async fn revoke_all_of(
    state: &AppState,
    actor: &SignedIn,
    target: &impl CheckedPerson,
    ip: Option<String>,
) -> Result<(), AppError> {
    let target_id = target.person().id;
    let now = state.now();
    let txn = state.db.begin().await?;
    revoke_all(
        &txn,
        now,
        target_id,
        "revoked by an owner or admin",
        &Origin::new(actor.user.id, ip.clone()),
    )
    .await?;
    audit::record(
        &txn,
        now,
        Event::new("devices.revoked_all", "success")
            .account(actor.account.id)
            .actor(actor.user.id)
            .subject(format!("user {target_id}"))
            .ip(ip),
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

/// Checks the registration presented at sign-in (browser cookie or app token). A live one gives
/// the `device.used` event for the caller to record with the sign-in; a theft signal revokes the
/// registration and is audited here. `None`: a second factor is needed.
pub async fn check_at_sign_in(
    state: &AppState,
    user: &entities::user::Model,
    kind: &str,
    token: Option<&crate::auth::device::DeviceToken>,
    meta: &crate::auth::RequestMeta,
) -> Result<Option<Event<'static>>, AppError> {
    use crate::auth::device::{self, Agent, DeviceCheck};
    let agent = Agent::parse(meta.user_agent.as_deref());
    let now = state.now();
    // The person whose password was just proven is the one acting.
    let event = |action, outcome| {
        Event::new(action, outcome)
            .account(user.account_id)
            .actor(user.id)
            .subject(format!("user {}", user.id))
            .ip(meta.ip.clone())
    };
    match device::check(&state.db, now, user.id, kind, token, &agent).await? {
        // Recorded by the caller together with the sign-in it allows (one write, not two).
        DeviceCheck::Valid(found) => Ok(Some(
            event("device.used", "success").details(format!("device {} ({})", found.id, found.label)),
        )),
        DeviceCheck::Theft(found, reason) => {
            let details = format!(
                "device {} ({}): theft signal, {reason}; seen as {}",
                found.id,
                found.label,
                agent.label()
            );
            audit::record(
                &state.db,
                now,
                event("device.revoked", "failure").details(details),
            )
            .await?;
            Ok(None)
        }
        DeviceCheck::Absent => Ok(None),
    }
}
