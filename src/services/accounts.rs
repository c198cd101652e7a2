//! Sign-up: a new practice and its owner, created together or not at all.

use sea_orm::{
    ActiveModelTrait, ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, Set, TransactionTrait,
};

use entities::{account, audit_log, user};

use crate::domain::{Email, LoginId, NewPassword, PersonName, PhoneNumber, Plan, Role};
use crate::error::AppError;
use crate::services::audit::{self, Event};
use crate::services::users::NewUser;
use crate::state::AppState;

/// New practices one address may create in an hour.
pub const SIGNUPS_PER_IP_PER_HOUR: u64 = 5;

pub struct Signup {
    pub organization: PersonName,
    pub plan: Plan,
    pub full_name: PersonName,
    pub login: LoginId,
    pub password: NewPassword,
    pub email: Email,
    pub phone: Option<PhoneNumber>,
}

/// Creates the account and its owner. A user ID already taken (now, or by someone signing up
/// at the same moment) is `Conflict`.
pub async fn sign_up(state: &AppState, signup: Signup, ip: Option<String>) -> Result<user::Model, AppError> {
    if super::login_taken(&state.db, signup.login.as_str()).await? {
        return Err(AppError::Conflict);
    }
    let now = state.now();
    // SECURITY: each practice brings its own text budgets, so sign-ups are limited per address
    // (SMS pumping through sign-up, SECURITY.md "new accounts").
    let recent = audit_log::Entity::find()
        .filter(audit_log::Column::Action.eq("account.created"))
        .filter(audit_log::Column::Ip.eq(ip.clone().unwrap_or_default()))
        .filter(audit_log::Column::At.gt(now - 3600))
        .count(&state.db)
        .await?;
    if recent >= SIGNUPS_PER_IP_PER_HOUR {
        return Err(AppError::TooMany {
            retry_after: 3600,
            message: format!(
                "At most {SIGNUPS_PER_IP_PER_HOUR} practices can be created from one address in an hour. Please try again later."
            ),
        });
    }
    let hash = state.hasher.hash(&signup.password).await?;
    let txn = state.db.begin().await?;
    let account = account::ActiveModel {
        name: Set(signup.organization.into_inner()),
        plan: Set(signup.plan),
        staff_two_factor: Set(false),
        // Every column gets a value, none is left to a database default: on SQLite, an account read
        // back after its insert was seen (rarely) with NULL in this later-added column.
        staff_require_authenticator: Set(false),
        admin_require_passkey: Set(false),
        client_two_factor: Set(false),
        device_days: Set(365),
        idle_minutes: Set(15),
        sms_daily_budget: Set(500),
        active: Set(true),
        created_at: Set(now),
        // The server's country is where new practices start; the owner can change both on Options.
        time_zone: Set("UTC".into()),
        phone_region: Set(Some(state.settings.phone_region.clone())),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    let owner = NewUser {
        email: Some(signup.email.into_inner()),
        phone: signup.phone.map(PhoneNumber::into_inner),
        ..NewUser::staff(
            account.id,
            Role::Owner,
            signup.login.into_inner(),
            signup.full_name.into_inner(),
            hash,
        )
    }
    .insert(&txn, now)
    .await?;
    audit::record(
        &txn,
        now,
        Event::new("account.created", "success")
            .account(account.id)
            .actor(owner.id)
            .subject(format!("user {}", owner.id))
            .ip(ip)
            .details(format!("plan {}", account.plan)),
    )
    .await?;
    txn.commit().await?;
    Ok(owner)
}
