//! The second step of signing in: who needs it and with which methods, and one module per
//! method — passkeys (`passkey`), authenticator apps (`app`), texted codes (`sms`), recovery
//! codes (`recovery`) — sharing one challenge (`challenge`: tries, lock, consumption).

pub mod app;
pub mod challenge;
pub mod passkey;
pub mod recovery;
pub mod sms;

use entities::values::Factor;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, TransactionTrait};

use entities::{account, authenticator, recovery_code, user};

use crate::domain::{Plan, Role};
use crate::error::AppError;
use crate::services::audit::{self, Event};
use crate::state::AppState;

pub use challenge::{
    Verification, find_challenge, find_public_challenge, open_challenge, resend, start_challenge, verify,
};
/// A stored challenge.
pub use entities::challenge::Model as Challenge;

/// Counts one text to `user` (a measures link or reminder) against the send limits of
/// SECURITY.md and the account's budget, exactly as a code is; 429 when one is reached.
pub async fn reserve_text(
    state: &AppState,
    user: &user::Model,
    account: &account::Model,
    ip: Option<&str>,
) -> Result<i32, AppError> {
    sms::reserve_send(state, user, account, state.now(), ip).await
}

pub const CODE_SECONDS: i64 = 10 * 60;
pub const MAX_TRIES: i32 = 5;
pub const MAX_SENDS_PER_CHALLENGE: i32 = 3;
pub const RESEND_COOLDOWN: i64 = 30;
pub const SENDS_PER_HOUR: u64 = 5;
pub const SENDS_PER_DAY: u64 = 10;
/// Codes to one phone number, whatever account or user asks (SMS pumping across sign-ups).
pub const SENDS_PER_NUMBER_PER_HOUR: u64 = 5;
pub const SENDS_PER_NUMBER_PER_DAY: u64 = 10;
/// A practice's texts per day in its first days, before the owner's budget applies.
pub const NEW_ACCOUNT_DAILY_TEXTS: u64 = 20;
pub const NEW_ACCOUNT_DAYS: i64 = 7;
pub const FAILURES_BEFORE_LOCK: i32 = 20;
pub const LOCK_SECONDS: i64 = 60 * 60;

/// Whether this person must pass the second step (SPEC §2), and with what.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Requirement {
    NotRequired,
    Required(Methods),
    /// Required, but there is neither a phone nor an app: on `mobile` this person cannot sign in.
    RequiredWithoutPhone,
    /// The owner requires an authenticator app for staff and this person has none: after the
    /// password (and a texted code when they have a phone) they set one up before going on.
    SetupAuthenticator {
        sms_first: bool,
    },
}

/// The second factors a person may use at sign-in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Methods {
    pub passkey: bool,
    pub app: bool,
    pub sms: bool,
    pub recovery: bool,
}

impl Methods {
    pub fn allows(&self, method: Method) -> bool {
        match method {
            Method::Passkey => self.passkey,
            Method::App => self.app,
            Method::Sms => self.sms,
            Method::Recovery => self.recovery,
        }
    }

    /// The form a pending sign-in shows unless the person chose: the text once one was sent
    /// (that is what they are waiting for), otherwise the strongest factor.
    pub fn default_method(&self, texted: bool) -> Method {
        if texted && self.sms {
            Method::Sms
        } else {
            self.methods().first().copied().unwrap_or(Method::Sms)
        }
    }

    /// What the verify page and the API offer, strongest (phishing-resistant) first.
    pub fn methods(&self) -> Vec<Method> {
        [Method::Passkey, Method::App, Method::Sms, Method::Recovery]
            .into_iter()
            .filter(|m| self.allows(*m))
            .collect()
    }

    /// Whether nothing should be texted unless asked: something stronger comes first.
    pub fn stronger_than_sms(&self) -> bool {
        self.passkey || self.app
    }
}

/// A way through the second step.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    Passkey,
    App,
    Sms,
    Recovery,
}

impl Method {
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "passkey" => Some(Self::Passkey),
            "app" => Some(Self::App),
            "sms" => Some(Self::Sms),
            "recovery" => Some(Self::Recovery),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        self.factor().as_str()
    }

    /// The factor passing this method proves (for the audit line and the session).
    pub fn factor(self) -> Factor {
        match self {
            Self::Passkey => Factor::Passkey,
            Self::App => Factor::App,
            Self::Sms => Factor::Sms,
            Self::Recovery => Factor::Recovery,
        }
    }
}

/// Whether the owner requires an authenticator app (no texts) of this person.
pub fn app_only(account: &account::Model, user: &user::Model) -> bool {
    user.role != Role::Client && account.staff_require_authenticator
}

/// Whether the plan and the owner's switches ask this person for a second step at all.
pub fn wants_second_step(account: &account::Model, user: &user::Model) -> bool {
    match account.plan {
        Plan::Mobile => true,
        Plan::Pro if user.role == Role::Client => account.client_two_factor,
        Plan::Pro => account.staff_two_factor || app_only(account, user),
    }
}

/// The second factors a person holds besides their phone.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Held {
    /// A confirmed authenticator app (and so recovery codes).
    pub app: bool,
    pub passkey: bool,
}

/// Who must pass the second step, and how. A passkey satisfies an owner's "authenticator app
/// required": the point of that rule is no texted codes, and a passkey is stronger still.
pub fn requirement(account: &account::Model, user: &user::Model, held: Held) -> Requirement {
    let plan = account.plan;
    let app_only = app_only(account, user);
    let wanted = wants_second_step(account, user);
    let has_phone = user.phone.is_some();
    if !wanted {
        return Requirement::NotRequired;
    }
    if app_only && !held.app && !held.passkey {
        return Requirement::SetupAuthenticator { sms_first: has_phone };
    }
    if held.app || held.passkey || has_phone {
        return Requirement::Required(Methods {
            passkey: held.passkey,
            app: held.app,
            sms: has_phone && !app_only,
            recovery: held.app,
        });
    }
    match plan {
        Plan::Mobile => Requirement::RequiredWithoutPhone,
        // On `pro` a person without a phone or app signs in with the password and is listed as unprotected.
        Plan::Pro => Requirement::NotRequired,
    }
}

/// `requirement`, looking up whether the person has an app.
pub async fn requirement_for(
    state: &AppState,
    account: &account::Model,
    user: &user::Model,
) -> Result<Requirement, AppError> {
    // Not asked for a second step: no need to look the app up.
    if !wants_second_step(account, user) {
        return Ok(Requirement::NotRequired);
    }
    Ok(requirement(account, user, held(&state.db, user.id).await?))
}

/// What second factors this person holds.
pub async fn held(db: &impl ConnectionTrait, user_id: i32) -> Result<Held, AppError> {
    Ok(Held {
        app: app::confirmed(db, user_id).await?.is_some(),
        passkey: passkey::count(db, user_id).await? > 0,
    })
}

/// The factors a pending sign-in may use now (a set-up walk-through starts with a text).
pub async fn methods_for(
    state: &AppState,
    account: &account::Model,
    user: &user::Model,
) -> Result<Methods, AppError> {
    Ok(match requirement_for(state, account, user).await? {
        Requirement::Required(factors) => factors,
        Requirement::SetupAuthenticator { sms_first: true } => Methods {
            sms: true,
            ..Methods::default()
        },
        _ => Methods::default(),
    })
}

/// What the Security page says about a person's factors.
pub struct FactorStatus {
    pub app_since: Option<i64>,
    pub recovery_left: u64,
}

pub async fn status(db: &impl ConnectionTrait, user_id: i32) -> Result<FactorStatus, AppError> {
    let app_since = app::confirmed(db, user_id).await?.and_then(|a| a.confirmed_at);
    let recovery_left = recovery_code::Entity::find()
        .filter(recovery_code::Column::UserId.eq(user_id))
        .filter(recovery_code::Column::UsedAt.is_null())
        .count(db)
        .await?;
    Ok(FactorStatus {
        app_since,
        recovery_left,
    })
}

/// One line for a manager's view of the person: app and recovery codes left, the date in the
/// practice's zone.
pub async fn summary(
    db: &impl ConnectionTrait,
    user_id: i32,
    locale: &crate::domain::Locale,
) -> Result<String, AppError> {
    let status = status(db, user_id).await?;
    Ok(match status.app_since {
        Some(since) => format!(
            "Authenticator app since {}; {} of {} recovery codes left.",
            locale.date_time(since),
            status.recovery_left,
            recovery::RECOVERY_CODE_COUNT
        ),
        None => "No authenticator app.".to_string(),
    })
}

/// Forgets the person's app and recovery codes (their own removal, or a reset by a manager).
pub async fn remove_all(db: &impl ConnectionTrait, user_id: i32) -> Result<u64, AppError> {
    let apps = authenticator::Entity::delete_many()
        .filter(authenticator::Column::UserId.eq(user_id))
        .exec(db)
        .await?;
    recovery_code::Entity::delete_many()
        .filter(recovery_code::Column::UserId.eq(user_id))
        .exec(db)
        .await?;
    Ok(apps.rows_affected)
}

/// Removes one's own app and recovery codes (the Security page checked the password), audited.
pub async fn remove_own_app(
    state: &AppState,
    user: &user::Model,
    ip: Option<String>,
) -> Result<(), AppError> {
    let txn = state.db.begin().await?;
    let removed = remove_all(&txn, user.id).await?;
    if removed > 0 {
        audit::record(
            &txn,
            state.now(),
            Event::new("authenticator.removed", "success")
                .account(user.account_id)
                .actor(user.id)
                .subject(format!("user {}", user.id))
                .ip(ip),
        )
        .await?;
    }
    txn.commit().await?;
    Ok(())
}
