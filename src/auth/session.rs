//! Server-side sessions: the cookie holds a random token, the database its SHA-256.
//! `pending` sessions (password done, code not yet) live 10 minutes and open only `/login/verify*`.

use rocket::http::{Cookie, CookieJar, SameSite};
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set};

use entities::session;

use super::tokens::{random_token, sha256_hex};
use crate::error::AppError;

pub use entities::values::{Factors, SessionState};
/// Absolute lifetime of a full session (SECURITY.md: 12 hours).
pub const ABSOLUTE_SECONDS: i64 = 12 * 60 * 60;
/// Lifetime of the pending state between password and code.
pub const PENDING_SECONDS: i64 = 10 * 60;

/// `__Host-` cookies need `Secure`, so the prefix is used only under https.
pub fn cookie_name(https: bool, base: &str) -> String {
    if https {
        format!("__Host-{base}")
    } else {
        base.to_string()
    }
}

pub const SESSION_COOKIE: &str = "outcomes_session";

pub struct NewSession {
    pub user_id: i32,
    pub account_id: i32,
    pub state: SessionState,
    pub factors: Factors,
    pub challenge_id: Option<i32>,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
    /// When a second step was passed for this session (now, or `None` for none).
    pub second_factor_at: Option<i64>,
}

/// Stores a session and returns the token for the cookie.
pub async fn create(
    db: &impl ConnectionTrait,
    now: i64,
    new: NewSession,
) -> Result<(String, session::Model), AppError> {
    let token = random_token::<32>();
    let lifetime = if new.state == SessionState::Full {
        ABSOLUTE_SECONDS
    } else {
        PENDING_SECONDS
    };
    let model = session::ActiveModel {
        token_hash: Set(sha256_hex(&token)),
        user_id: Set(new.user_id),
        account_id: Set(new.account_id),
        state: Set(new.state),
        csrf_token: Set(random_token::<32>()),
        created_at: Set(now),
        last_seen_at: Set(now),
        expires_at: Set(now + lifetime),
        factors: Set(new.factors),
        challenge_id: Set(new.challenge_id),
        ip: Set(new.ip),
        user_agent: Set(new.user_agent.map(|ua| ua.chars().take(300).collect())),
        second_factor_at: Set(new.second_factor_at),
        ..Default::default()
    }
    .insert(db)
    .await?;
    Ok((token, model))
}

pub fn set_cookie(cookies: &CookieJar<'_>, https: bool, token: String) {
    let cookie = Cookie::build((cookie_name(https, SESSION_COOKIE), token))
        .http_only(true)
        .same_site(SameSite::Lax)
        .path("/")
        .secure(https);
    cookies.add(cookie);
}

pub fn remove_cookie(cookies: &CookieJar<'_>, https: bool) {
    cookies.remove(Cookie::build(cookie_name(https, SESSION_COOKIE)).path("/"));
}

pub fn token_from(cookies: &CookieJar<'_>, https: bool) -> Option<String> {
    cookies
        .get(&cookie_name(https, SESSION_COOKIE))
        .map(|c| c.value().to_string())
        .filter(|v| v.len() == 64 && v.bytes().all(|b| b.is_ascii_hexdigit()))
}

pub async fn find_by_token(
    db: &impl ConnectionTrait,
    token: &str,
) -> Result<Option<session::Model>, AppError> {
    Ok(session::Entity::find()
        .filter(session::Column::TokenHash.eq(sha256_hex(token)))
        .one(db)
        .await?)
}

pub async fn delete(db: &impl ConnectionTrait, session_id: i32) -> Result<(), AppError> {
    session::Entity::delete_by_id(session_id).exec(db).await?;
    Ok(())
}

/// Ends every session of a user, web and API (deactivation, password change), optionally
/// keeping one web session.
pub async fn delete_all_for_user(
    db: &impl ConnectionTrait,
    user_id: i32,
    keep: Option<i32>,
) -> Result<u64, AppError> {
    let mut query = session::Entity::delete_many().filter(session::Column::UserId.eq(user_id));
    if let Some(keep) = keep {
        query = query.filter(session::Column::Id.ne(keep));
    }
    // The app's bearer tokens are sessions too.
    entities::access_token::Entity::delete_many()
        .filter(entities::access_token::Column::UserId.eq(user_id))
        .exec(db)
        .await?;
    Ok(query.exec(db).await?.rows_affected)
}

/// Whether a session is still usable at `now` under the account's idle limit.
pub fn is_live(session: &session::Model, now: i64, idle_minutes: i32) -> bool {
    if now >= session.expires_at {
        return false;
    }
    session.state != SessionState::Full || now - session.last_seen_at <= i64::from(idle_minutes) * 60
}

/// Keeps a pending session alive for as long as the code just sent.
pub async fn extend_pending(db: &impl ConnectionTrait, session_id: i32, now: i64) -> Result<(), AppError> {
    session::Entity::update_many()
        .col_expr(
            session::Column::ExpiresAt,
            sea_orm::sea_query::Expr::value(now + PENDING_SECONDS),
        )
        .filter(session::Column::Id.eq(session_id))
        .filter(session::Column::State.eq(SessionState::Pending))
        .exec(db)
        .await?;
    Ok(())
}
