//! The JSON API's authentication: bearer access tokens (random, stored hashed, with the web
//! sessions' idle and absolute limits) and the guard that reads them. Cookies are ignored here.

use rocket::http::Status;
use rocket::request::{FromRequest, Outcome, Request};
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set};

use entities::values::Factors;
use entities::{access_token, account, user};

use super::session::ABSOLUTE_SECONDS;
use super::tokens::{random_token, sha256_hex};
use crate::domain::Role;
use crate::error::AppError;
use crate::state::AppState;

/// Issues a token; returns it (shown once) and its lifetime in seconds.
pub async fn issue(
    db: &impl ConnectionTrait,
    now: i64,
    user: &user::Model,
    factors: &Factors,
) -> Result<(String, i64), AppError> {
    let token = random_token::<32>();
    access_token::ActiveModel {
        token_hash: Set(sha256_hex(&token)),
        user_id: Set(user.id),
        account_id: Set(user.account_id),
        created_at: Set(now),
        last_seen_at: Set(now),
        expires_at: Set(now + ABSOLUTE_SECONDS),
        factors: Set(factors.clone()),
        ..Default::default()
    }
    .insert(db)
    .await?;
    Ok((token, ABSOLUTE_SECONDS))
}

pub async fn revoke(db: &impl ConnectionTrait, token_id: i32) -> Result<(), AppError> {
    access_token::Entity::delete_by_id(token_id).exec(db).await?;
    Ok(())
}

/// A caller with a live bearer token.
#[derive(Debug, Clone)]
pub struct ApiUser {
    pub token: access_token::Model,
    pub user: user::Model,
    pub account: account::Model,
}

impl ApiUser {
    pub fn role(&self) -> Role {
        self.user.role
    }
}

/// Why a bearer token was refused (read by the API's 401 catcher).
pub struct ApiAuthError;

async fn authenticate(request: &Request<'_>) -> Result<Option<ApiUser>, AppError> {
    let Some(state) = request.rocket().state::<AppState>() else {
        return Err(AppError::Internal("state missing".into()));
    };
    let Some(token) = request
        .headers()
        .get_one("Authorization")
        .and_then(|h| h.strip_prefix("Bearer "))
        .map(str::trim)
        .filter(|t| t.len() == 64 && t.bytes().all(|b| b.is_ascii_hexdigit()))
    else {
        return Ok(None);
    };
    let db = &state.db;
    let Some(found) = access_token::Entity::find()
        .filter(access_token::Column::TokenHash.eq(sha256_hex(token)))
        .one(db)
        .await?
    else {
        return Ok(None);
    };
    let Some((user, Some(account))) = user::Entity::find_by_id(found.user_id)
        .find_also_related(account::Entity)
        .one(db)
        .await?
    else {
        return Ok(None);
    };
    let now = state.now();
    let idle_limit = i64::from(account.idle_minutes) * 60;
    if now >= found.expires_at || now - found.last_seen_at > idle_limit || !user.active || !account.active {
        revoke(db, found.id).await?;
        return Ok(None);
    }
    if now - found.last_seen_at >= 10 {
        access_token::Entity::update_many()
            .col_expr(access_token::Column::LastSeenAt, Expr::value(now))
            .filter(access_token::Column::Id.eq(found.id))
            .exec(db)
            .await?;
    }
    Ok(Some(ApiUser {
        token: found,
        user,
        account,
    }))
}

#[rocket::async_trait]
impl<'r> FromRequest<'r> for ApiUser {
    type Error = ();

    async fn from_request(request: &'r Request<'_>) -> Outcome<Self, ()> {
        match authenticate(request).await {
            Ok(Some(user)) => Outcome::Success(user),
            Ok(None) => Outcome::Error((Status::Unauthorized, ())),
            Err(AppError::Unavailable(_)) => Outcome::Error((Status::ServiceUnavailable, ())),
            Err(_) => Outcome::Error((Status::InternalServerError, ())),
        }
    }
}

/// Builds a role guard on `ApiUser`, as the web's role guards build on `CurrentUser`: the token
/// is checked first (401), then the role (403).
macro_rules! api_role_guard {
    ($(#[$doc:meta])* $name:ident, $allowed:expr) => {
        $(#[$doc])*
        #[derive(Debug, Clone)]
        pub struct $name(pub ApiUser);

        impl std::ops::Deref for $name {
            type Target = ApiUser;
            fn deref(&self) -> &ApiUser {
                &self.0
            }
        }

        impl super::guards::Acting for $name {
            fn acting_user(&self) -> &user::Model {
                &self.0.user
            }
        }

        #[rocket::async_trait]
        impl<'r> FromRequest<'r> for $name {
            type Error = ();

            async fn from_request(request: &'r Request<'_>) -> Outcome<Self, ()> {
                let caller = rocket::outcome::try_outcome!(request.guard::<ApiUser>().await);
                let allowed: fn(Role) -> bool = $allowed;
                // SECURITY: the role is checked here, so a handler taking this guard cannot be
                // reached by any other role.
                if allowed(caller.role()) {
                    Outcome::Success(Self(caller))
                } else {
                    Outcome::Error((Status::Forbidden, ()))
                }
            }
        }
    };
}

api_role_guard!(
    /// Owner, admin, supervisor or provider calling the API.
    ApiStaff,
    Role::is_staff
);
api_role_guard!(
    /// A client calling the API.
    ApiClient,
    |role| role == Role::Client
);
