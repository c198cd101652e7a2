//! The password as a first factor: checking it (in constant work, throttled), changing one's own,
//! and signing out.

use sea_orm::{
    ActiveModelTrait, ColumnTrait, EntityTrait, IntoActiveModel, QueryFilter, Set, TransactionTrait,
};

use entities::{account, user};

use crate::auth::guards::{RequestMeta, SignedIn};
use crate::auth::session;
use crate::auth::throttle;
use crate::domain::{LoginId, NewPassword};
use crate::error::AppError;
use crate::services::audit::{self, Event};
use crate::services::devices::revoke_all;
use crate::state::AppState;

/// Looks up the person and checks the password in constant work whether or not they exist; the
/// person and their practice when it is right and both are active.
pub async fn check(
    state: &AppState,
    login_raw: &str,
    password_raw: &str,
    meta: &RequestMeta,
) -> Result<Option<(user::Model, account::Model)>, AppError> {
    let login = LoginId::normalize(login_raw);
    let ip = meta.ip.clone().unwrap_or_default();
    let now = state.now();
    let had_failures = throttle::check(&state.db, &login, &ip, now).await?;
    let found = user::Entity::find()
        .filter(user::Column::Login.eq(login.as_str()))
        .find_also_related(account::Entity)
        .one(&state.db)
        .await?;
    // SECURITY: always run one argon2 verify so an unknown user ID costs the same time.
    let stored = found
        .as_ref()
        .map_or_else(|| state.dummy_hash.clone(), |(u, _)| u.password_hash.clone());
    let password_ok = state
        .hasher
        .verify(password_raw.chars().take(1024).collect(), stored)
        .await?;
    match found {
        Some((user, Some(account))) if password_ok && user.active && account.active => {
            // Most sign-ins follow no failure: skip the write then.
            if had_failures {
                throttle::clear(&state.db, &login).await?;
            }
            Ok(Some((user, account)))
        }
        other => {
            throttle::record_failure(&state.db, &login, &ip, now).await?;
            let mut event = Event::new("login.failed", "failure").ip(meta.ip.clone());
            if let Some((user, _)) = &other {
                event = event
                    .account(user.account_id)
                    .subject(format!("user {}", user.id));
            } else {
                event = event.details("unknown user ID");
            }
            audit::record(&state.db, now, event).await?;
            Ok(None)
        }
    }
}

pub async fn logout(state: &AppState, signed: &SignedIn, meta: &RequestMeta) -> Result<(), AppError> {
    session::delete(&state.db, signed.session.id).await?;
    audit::record(
        &state.db,
        state.now(),
        Event::new("logout", "success")
            .account(signed.account.id)
            .actor(signed.user.id)
            .subject(format!("user {}", signed.user.id))
            .ip(meta.ip.clone()),
    )
    .await?;
    Ok(())
}

/// Whether `typed` is the signed-in person's current password (asked before changing a
/// password or a second factor). SECURITY: a wrong one counts as a failed sign-in for that
/// user ID (SECURITY.md throttling), so a stolen session cannot guess the password here
/// without meeting the same lock; when locked, the answer is 429 before any check.
pub async fn verify_current(
    state: &AppState,
    user: &user::Model,
    typed: &str,
    meta: &RequestMeta,
) -> Result<bool, AppError> {
    let ip = meta.ip.clone().unwrap_or_default();
    let now = state.now();
    throttle::check(&state.db, &user.login, &ip, now).await?;
    let right = state
        .hasher
        .verify(typed.chars().take(1024).collect(), user.password_hash.clone())
        .await?;
    if !right {
        throttle::record_failure(&state.db, &user.login, &ip, now).await?;
        audit::record(
            &state.db,
            now,
            Event::new("password.check_failed", "failure")
                .account(user.account_id)
                .actor(user.id)
                .subject(format!("user {}", user.id))
                .ip(meta.ip.clone())
                .details("wrong current password"),
        )
        .await?;
    }
    Ok(right)
}

/// Changes one's own password: checks the current one, then ends every other session and
/// revokes every registration.
pub async fn change_own_password(
    state: &AppState,
    signed: &SignedIn,
    current: &str,
    new_password: &NewPassword,
    meta: &RequestMeta,
) -> Result<bool, AppError> {
    if !verify_current(state, &signed.user, current, meta).await? {
        return Ok(false);
    }
    let hash = state.hasher.hash(new_password).await?;
    let now = state.now();
    let txn = state.db.begin().await?;
    let mut changes = signed.user.clone().into_active_model();
    changes.password_hash = Set(hash);
    changes.updated_at = Set(now);
    changes.update(&txn).await?;
    session::delete_all_for_user(&txn, signed.user.id, Some(signed.session.id)).await?;
    revoke_all(
        &txn,
        now,
        signed.user.id,
        "password changed",
        &crate::services::audit::Origin::new(signed.user.id, meta.ip.clone()),
    )
    .await?;
    audit::record(
        &txn,
        now,
        Event::new("password.changed", "success")
            .account(signed.account.id)
            .actor(signed.user.id)
            .subject(format!("user {}", signed.user.id))
            .ip(meta.ip.clone()),
    )
    .await?;
    txn.commit().await?;
    Ok(true)
}
