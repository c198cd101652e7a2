//! Request guards: one cached lookup of the session, then guards that narrow it by role, so a
//! handler's signature states who may call it.

use entities::values::SessionState;
use std::net::IpAddr;

use rocket::http::Status;
use rocket::outcome::try_outcome;
use rocket::request::{FromRequest, Outcome, Request};
use sea_orm::{ActiveModelTrait, EntityTrait, IntoActiveModel, Set};

use entities::{account, session, user};

use super::session::{is_live, token_from};
use crate::domain::{Plan, Role};
use crate::error::AppError;
use crate::state::AppState;

/// The caller's address and browser, for the audit log and device labels.
#[derive(Debug, Clone)]
pub struct RequestMeta {
    pub ip: Option<String>,
    pub user_agent: Option<String>,
}

#[rocket::async_trait]
impl<'r> FromRequest<'r> for RequestMeta {
    type Error = std::convert::Infallible;

    async fn from_request(request: &'r Request<'_>) -> Outcome<Self, Self::Error> {
        let trusted = request
            .rocket()
            .state::<AppState>()
            .map_or(&[][..], |s| s.settings.trusted_proxies.as_slice());
        Outcome::Success(Self {
            ip: client_address(request, trusted).map(|ip| ip.to_string()),
            user_agent: request.headers().get_one("User-Agent").map(str::to_string),
        })
    }
}

/// The client's address (SECURITY.md "client address"): the socket's peer, unless that peer is
/// one of `trusted` proxies; then `X-Forwarded-For` is read right to left through trusted hops
/// (the first untrusted hop is the client), or `X-Real-IP` when there is no `X-Forwarded-For`.
pub fn client_address(request: &Request<'_>, trusted: &[ipnet::IpNet]) -> Option<IpAddr> {
    let peer = request.remote()?.ip();
    let is_trusted = |ip: &IpAddr| trusted.iter().any(|net| net.contains(ip));
    // SECURITY: a header is only as good as whoever set it; from anyone else it is ignored.
    if !is_trusted(&peer) {
        return Some(peer);
    }
    let forwarded: Vec<&str> = request
        .headers()
        .get("X-Forwarded-For")
        .flat_map(|value| value.split(','))
        .map(str::trim)
        .collect();
    if forwarded.is_empty() {
        return request
            .headers()
            .get_one("X-Real-IP")
            .and_then(|v| v.trim().parse().ok())
            .or(Some(peer));
    }
    let mut nearest = peer;
    for hop in forwarded.iter().rev() {
        // Garbage in the chain ends the walk: the last address a trusted hop vouched for stands.
        let Ok(address) = hop.parse::<IpAddr>() else {
            return Some(nearest);
        };
        if !is_trusted(&address) {
            return Some(address);
        }
        nearest = address;
    }
    Some(nearest)
}

/// A live session with its user and account.
#[derive(Debug, Clone)]
pub struct SignedIn {
    pub session: session::Model,
    pub user: user::Model,
    pub account: account::Model,
}

impl SignedIn {
    pub fn role(&self) -> Role {
        self.user.role
    }

    pub fn plan(&self) -> Plan {
        self.account.plan
    }
}

/// Anyone acting through the web or the API: services scope their queries by this person.
pub trait Acting {
    fn acting_user(&self) -> &user::Model;

    fn acting_role(&self) -> Role {
        self.acting_user().role
    }
}

impl Acting for SignedIn {
    fn acting_user(&self) -> &user::Model {
        &self.user
    }
}

impl Acting for CurrentUser {
    fn acting_user(&self) -> &user::Model {
        &self.0.user
    }
}

impl Acting for crate::auth::api::ApiUser {
    fn acting_user(&self) -> &user::Model {
        &self.user
    }
}

/// Cached per request: `Err(())` means the database did not answer.
struct Lookup(Result<Option<SignedIn>, ()>);

async fn lookup_uncached(request: &Request<'_>) -> Result<Option<SignedIn>, AppError> {
    let Some(state) = request.rocket().state::<AppState>() else {
        return Err(AppError::Internal("state missing".into()));
    };
    let Some(token) = token_from(request.cookies(), state.settings.https()) else {
        return Ok(None);
    };
    let db = &state.db;
    let Some(session) = super::session::find_by_token(db, &token).await? else {
        return Ok(None);
    };
    let Some((user, Some(account))) = user::Entity::find_by_id(session.user_id)
        .find_also_related(account::Entity)
        .one(db)
        .await?
    else {
        return Ok(None);
    };
    let now = state.now();
    if !is_live(&session, now, account.idle_minutes) || !user.active || !account.active {
        super::session::delete(db, session.id).await?;
        return Ok(None);
    }
    let mut session = session;
    // Touch at most every 10 s: idle time is measured in minutes, writes cost.
    if session.state == SessionState::Full && now - session.last_seen_at >= 10 {
        let mut active = session.clone().into_active_model();
        active.last_seen_at = Set(now);
        session = active.update(db).await?;
    }
    Ok(Some(SignedIn {
        session,
        user,
        account,
    }))
}

pub async fn lookup(request: &Request<'_>) -> Result<Option<SignedIn>, Status> {
    let cached = request
        .local_cache_async(async {
            Lookup(lookup_uncached(request).await.map_err(|error| {
                log::warn!("session lookup failed: {error}");
            }))
        })
        .await;
    cached.0.clone().map_err(|()| Status::ServiceUnavailable)
}

/// Whoever the session belongs to, if anyone (full or pending).
pub struct MaybeSignedIn(pub Option<SignedIn>);

#[rocket::async_trait]
impl<'r> FromRequest<'r> for MaybeSignedIn {
    type Error = ();

    async fn from_request(request: &'r Request<'_>) -> Outcome<Self, ()> {
        match lookup(request).await {
            Ok(found) => Outcome::Success(Self(found)),
            Err(status) => Outcome::Error((status, ())),
        }
    }
}

/// Any fully signed-in person.
#[derive(Debug, Clone)]
pub struct CurrentUser(pub SignedIn);

impl std::ops::Deref for CurrentUser {
    type Target = SignedIn;
    fn deref(&self) -> &SignedIn {
        &self.0
    }
}

#[rocket::async_trait]
impl<'r> FromRequest<'r> for CurrentUser {
    type Error = ();

    async fn from_request(request: &'r Request<'_>) -> Outcome<Self, ()> {
        match lookup(request).await {
            Ok(Some(signed)) if signed.session.state == SessionState::Full => Outcome::Success(Self(signed)),
            Ok(_) => Outcome::Error((Status::Unauthorized, ())),
            Err(status) => Outcome::Error((status, ())),
        }
    }
}

/// Password accepted, code not yet entered.
#[derive(Debug, Clone)]
pub struct PendingLogin(pub SignedIn);

#[rocket::async_trait]
impl<'r> FromRequest<'r> for PendingLogin {
    type Error = ();

    async fn from_request(request: &'r Request<'_>) -> Outcome<Self, ()> {
        match lookup(request).await {
            Ok(Some(signed)) if signed.session.state == SessionState::Pending => {
                Outcome::Success(Self(signed))
            }
            Ok(_) => Outcome::Error((Status::Unauthorized, ())),
            Err(status) => Outcome::Error((status, ())),
        }
    }
}

/// Signed in, but the authenticator app must be set up before anything else opens.
#[derive(Debug, Clone)]
pub struct SetupLogin(pub SignedIn);

#[rocket::async_trait]
impl<'r> FromRequest<'r> for SetupLogin {
    type Error = ();

    async fn from_request(request: &'r Request<'_>) -> Outcome<Self, ()> {
        match lookup(request).await {
            Ok(Some(signed)) if signed.session.state == SessionState::Setup => Outcome::Success(Self(signed)),
            Ok(_) => Outcome::Error((Status::Unauthorized, ())),
            Err(status) => Outcome::Error((status, ())),
        }
    }
}

/// Signed in, but an owner or admin who must add a passkey before anything else opens.
#[derive(Debug, Clone)]
pub struct PasskeySetupLogin(pub SignedIn);

#[rocket::async_trait]
impl<'r> FromRequest<'r> for PasskeySetupLogin {
    type Error = ();

    async fn from_request(request: &'r Request<'_>) -> Outcome<Self, ()> {
        match lookup(request).await {
            Ok(Some(signed)) if signed.session.state == SessionState::PasskeySetup => {
                Outcome::Success(Self(signed))
            }
            Ok(_) => Outcome::Error((Status::Unauthorized, ())),
            Err(status) => Outcome::Error((status, ())),
        }
    }
}

macro_rules! role_guard {
    ($(#[$doc:meta])* $name:ident, $allowed:expr) => {
        $(#[$doc])*
        #[derive(Debug, Clone)]
        pub struct $name(pub CurrentUser);

        impl std::ops::Deref for $name {
            type Target = SignedIn;
            fn deref(&self) -> &SignedIn {
                &self.0.0
            }
        }

        impl Acting for $name {
            fn acting_user(&self) -> &user::Model {
                &self.0.0.user
            }
        }

        #[rocket::async_trait]
        impl<'r> FromRequest<'r> for $name {
            type Error = ();

            async fn from_request(request: &'r Request<'_>) -> Outcome<Self, ()> {
                let current = try_outcome!(request.guard::<CurrentUser>().await);
                let allowed: fn(Role) -> bool = $allowed;
                if allowed(current.role()) {
                    Outcome::Success(Self(current))
                } else {
                    Outcome::Error((Status::Forbidden, ()))
                }
            }
        }
    };
}

role_guard!(
    /// Owner, admin, supervisor or provider.
    StaffUser,
    Role::is_staff
);
role_guard!(
    /// Owner or admin.
    ManagerUser,
    Role::is_manager
);
role_guard!(
    /// The account owner alone.
    OwnerUser,
    |role| role == Role::Owner
);
role_guard!(
    /// A client signed in for telehealth.
    ClientUser,
    |role| role == Role::Client
);
