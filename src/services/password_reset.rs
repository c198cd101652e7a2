//! Forgotten passwords (SPEC §2.4): asking for a link (the same answer for every user ID), and
//! setting a new password with it, which ends every session, registration and API token of
//! that person.

use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, EntityTrait, IntoActiveModel, PaginatorTrait, QueryFilter, Set,
    TransactionTrait,
};

use entities::{account, password_reset, user};

use crate::auth::RequestMeta;
use crate::auth::session;
use crate::auth::throttle;
use crate::auth::tokens::{random_token, sha256_hex};
use crate::domain::{LoginId, NewPassword, Role};
use crate::error::AppError;
use crate::services::audit::{self, Event, Origin};
use crate::services::devices::revoke_all;
use crate::services::notify;
use crate::state::AppState;

/// SECURITY: a link is valid 60 minutes (SPEC §2.4).
pub const TOKEN_SECONDS: i64 = 60 * 60;
/// SECURITY: at most 3 requests per user ID and 20 per IP address in an hour (SPEC §2.4),
/// counted whether or not the user ID exists, so the limit says nothing about it either.
pub const PER_USER_PER_HOUR: u64 = 3;
pub const PER_IP_PER_HOUR: u64 = 20;
const WINDOW: i64 = 60 * 60;

fn too_many(retry_after: i64) -> AppError {
    AppError::TooMany {
        retry_after,
        message: "Too many requests for a password link. Please wait an hour and try again.".into(),
    }
}

/// Handles "Forgot your password?" for `login_raw`: counts the request, and when the user ID
/// belongs to an active staff member with an e-mail address, mails a new link (the older ones
/// stop working). The caller answers the same whatever happened here.
pub async fn request(state: &AppState, login_raw: &str, meta: &RequestMeta) -> Result<(), AppError> {
    let login = LoginId::normalize(login_raw);
    let ip = meta.ip.clone().unwrap_or_default();
    let now = state.now();
    let by_user = password_reset::Entity::find()
        .filter(password_reset::Column::Login.eq(login.as_str()))
        .filter(password_reset::Column::CreatedAt.gt(now - WINDOW))
        .count(&state.db)
        .await?;
    let by_ip = password_reset::Entity::find()
        .filter(password_reset::Column::Ip.eq(ip.as_str()))
        .filter(password_reset::Column::CreatedAt.gt(now - WINDOW))
        .count(&state.db)
        .await?;
    if by_user >= PER_USER_PER_HOUR || by_ip >= PER_IP_PER_HOUR {
        audit::record(
            &state.db,
            now,
            Event::new("password.reset_limited", "failure")
                .ip(meta.ip.clone())
                .details("too many password link requests"),
        )
        .await?;
        return Err(too_many(WINDOW));
    }
    let found = user::Entity::find()
        .filter(user::Column::Login.eq(login.as_str()))
        .find_also_related(account::Entity)
        .one(&state.db)
        .await?;
    let mut row = password_reset::ActiveModel {
        login: Set(login.as_str().chars().take(200).collect()),
        ip: Set(ip.chars().take(64).collect()),
        created_at: Set(now),
        expires_at: Set(now + TOKEN_SECONDS),
        ..Default::default()
    };
    // Clients are told on the page to ask their provider: their password is the provider's to reset.
    let recipient = match &found {
        Some((user, Some(account))) if user.active && account.active && user.role != Role::Client => user
            .email
            .as_deref()
            .map(str::trim)
            .filter(|e| !e.is_empty())
            .map(|email| (user, account, email.to_string())),
        _ => None,
    };
    let Some((user, account, email)) = recipient else {
        row.user_id = Set(found.as_ref().map(|(u, _)| u.id));
        row.insert(&state.db).await?;
        let mut event = Event::new("password.reset_requested", "failure").ip(meta.ip.clone());
        event = match &found {
            Some((user, _)) => event
                .account(user.account_id)
                .subject(format!("user {}", user.id))
                .details("no link sent: no e-mail address, a client, or deactivated"),
            None => event.details("no link sent: unknown user ID"),
        };
        audit::record(&state.db, now, event).await?;
        return Ok(());
    };
    // SECURITY: 256 random bits; only the SHA-256 is stored.
    let token = random_token::<32>();
    row.user_id = Set(Some(user.id));
    row.token_hash = Set(Some(sha256_hex(&token)));
    let txn = state.db.begin().await?;
    // SECURITY: only the newest link works.
    expire_links(&txn, user.id, now).await?;
    row.insert(&txn).await?;
    audit::record(
        &txn,
        now,
        Event::new("password.reset_requested", "success")
            .account(account.id)
            .subject(format!("user {}", user.id))
            .ip(meta.ip.clone())
            .details("link e-mailed"),
    )
    .await?;
    txn.commit().await?;
    let link = state
        .settings
        .public_url
        .join(&format!("login/reset/{token}"))
        .map_err(|e| AppError::Internal(format!("reset link: {e}")))?;
    let body = format!(
        "Someone asked to reset the Outcomes password of user ID {login}.\n\n\
         To choose a new password, open this link within 60 minutes:\n\n{link}\n\n\
         If it was not you, ignore this e-mail: your password stays as it is.\n",
        login = user.login,
    );
    notify::email(state, account.id, &email, "Reset your Outcomes password", &body).await
}

async fn expire_links(db: &impl sea_orm::ConnectionTrait, user_id: i32, now: i64) -> Result<(), AppError> {
    password_reset::Entity::update_many()
        .col_expr(password_reset::Column::ExpiresAt, Expr::value(now))
        .filter(password_reset::Column::UserId.eq(user_id))
        .filter(password_reset::Column::UsedAt.is_null())
        .filter(password_reset::Column::ExpiresAt.gt(now))
        .exec(db)
        .await?;
    Ok(())
}

/// The person a reset link is for, while it is live (unused, within 60 minutes, the newest,
/// the person and practice active).
pub struct ResetLink {
    pub reset_id: i32,
    pub user: user::Model,
    pub account: account::Model,
}

/// Finds the live link for `token`; `None` for anything else (unknown, used, expired, replaced).
pub async fn find(state: &AppState, token: &str) -> Result<Option<ResetLink>, AppError> {
    if token.is_empty() || token.len() > 128 {
        return Ok(None);
    }
    let now = state.now();
    let Some(reset) = password_reset::Entity::find()
        .filter(password_reset::Column::TokenHash.eq(sha256_hex(token)))
        .filter(password_reset::Column::UsedAt.is_null())
        .filter(password_reset::Column::ExpiresAt.gt(now))
        .one(&state.db)
        .await?
    else {
        return Ok(None);
    };
    let Some(user_id) = reset.user_id else {
        return Ok(None);
    };
    let found = user::Entity::find_by_id(user_id)
        .find_also_related(account::Entity)
        .one(&state.db)
        .await?;
    Ok(match found {
        Some((user, Some(account))) if user.active && account.active => Some(ResetLink {
            reset_id: reset.id,
            user,
            account,
        }),
        _ => None,
    })
}

/// Sets the new password with a live link: the link is spent in one atomic `UPDATE` (two
/// concurrent posts give one change), then every session, API token and registration of the
/// person ends, failed sign-ins are forgotten, and the person is told by e-mail. `false`: the
/// link was spent or expired meanwhile.
pub async fn complete(
    state: &AppState,
    link: &ResetLink,
    new_password: &NewPassword,
    meta: &RequestMeta,
) -> Result<bool, AppError> {
    let hash = state.hasher.hash(new_password).await?;
    let now = state.now();
    let txn = state.db.begin().await?;
    let spent = password_reset::Entity::update_many()
        .col_expr(password_reset::Column::UsedAt, Expr::value(now))
        .filter(password_reset::Column::Id.eq(link.reset_id))
        .filter(password_reset::Column::UsedAt.is_null())
        .filter(password_reset::Column::ExpiresAt.gt(now))
        .exec(&txn)
        .await?;
    if spent.rows_affected != 1 {
        return Ok(false);
    }
    let user = &link.user;
    let mut changes = user.clone().into_active_model();
    changes.password_hash = Set(hash);
    changes.updated_at = Set(now);
    changes.update(&txn).await?;
    // SECURITY: sessions and the app's bearer tokens, then every registration: the next
    // sign-in asks for the second step again.
    session::delete_all_for_user(&txn, user.id, None).await?;
    let origin = Origin::new(user.id, meta.ip.clone());
    revoke_all(&txn, now, user.id, "password reset", &origin).await?;
    throttle::clear(&txn, &user.login).await?;
    audit::record(
        &txn,
        now,
        Event::new("password.reset", "success")
            .account(link.account.id)
            .actor(user.id)
            .subject(format!("user {}", user.id))
            .ip(meta.ip.clone())
            .details("new password set with an e-mailed link"),
    )
    .await?;
    txn.commit().await?;
    if let Some(email) = user.email.as_deref().filter(|e| !e.trim().is_empty()) {
        let body = format!(
            "The Outcomes password of user ID {} was changed with a link sent to this address.\n\n\
             Every session and registered device was signed out, so your next sign-in asks for \
             your second step again.\n\nIf it was not you, tell your account owner at once.\n",
            user.login
        );
        notify::email(
            state,
            link.account.id,
            email,
            "Your Outcomes password was changed",
            &body,
        )
        .await?;
    }
    Ok(true)
}
