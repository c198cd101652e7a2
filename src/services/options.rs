//! The owner's Options: two-factor switches, device lifetime and idle sign-out.

use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, IntoActiveModel, QueryFilter, QueryOrder,
    Set,
};

use std::collections::HashSet;

use entities::{account, authenticator, user};

use crate::error::AppError;
use crate::services::audit::{self, Event};
use crate::services::devices::revoke_all;
use crate::services::two_factor::{self, Requirement};

pub struct OptionsInput {
    pub staff_two_factor: bool,
    pub staff_require_authenticator: bool,
    pub client_two_factor: bool,
    pub device_days: i32,
    pub idle_minutes: i32,
}

pub async fn save(
    db: &impl ConnectionTrait,
    now: i64,
    actor_id: i32,
    account: &account::Model,
    input: OptionsInput,
    ip: Option<String>,
) -> Result<(), AppError> {
    let mut changes = Vec::new();
    let mut describe = |name: &str, old: String, new: String| {
        if old != new {
            changes.push(format!("{name}: {old} -> {new}"));
        }
    };
    describe(
        "staff_two_factor",
        account.staff_two_factor.to_string(),
        input.staff_two_factor.to_string(),
    );
    describe(
        "staff_require_authenticator",
        account.staff_require_authenticator.to_string(),
        input.staff_require_authenticator.to_string(),
    );
    describe(
        "client_two_factor",
        account.client_two_factor.to_string(),
        input.client_two_factor.to_string(),
    );
    describe(
        "device_days",
        account.device_days.to_string(),
        input.device_days.to_string(),
    );
    describe(
        "idle_minutes",
        account.idle_minutes.to_string(),
        input.idle_minutes.to_string(),
    );
    let mut active = account.clone().into_active_model();
    active.staff_two_factor = Set(input.staff_two_factor);
    active.staff_require_authenticator = Set(input.staff_require_authenticator);
    active.client_two_factor = Set(input.client_two_factor);
    active.device_days = Set(input.device_days);
    active.idle_minutes = Set(input.idle_minutes);
    active.update(db).await?;
    if input.staff_require_authenticator && !account.staff_require_authenticator {
        // "No texts" must hold at once: browsers that staff registered with a texted code stop
        // counting, and every staff sign-in goes through the app (or its set-up) again.
        let staff = user::Entity::find()
            .filter(user::Column::AccountId.eq(account.id))
            .filter(user::Column::Role.ne(crate::domain::Role::Client.as_str()))
            .all(db)
            .await?;
        for person in staff {
            revoke_all(db, now, person.id, "the owner required an authenticator app").await?;
        }
        changes.push("staff devices revoked".into());
    }
    if !changes.is_empty() {
        audit::record(
            db,
            now,
            Event::new("options.changed", "success")
                .account(account.id)
                .actor(actor_id)
                .ip(ip)
                .details(changes.join("; ")),
        )
        .await?;
    }
    Ok(())
}

/// Active people whom the account wants protected who have neither a phone number nor an
/// authenticator app, and whom no app requirement walks through setting one up.
pub async fn missing_phones(
    db: &impl ConnectionTrait,
    account: &account::Model,
) -> Result<Vec<user::Model>, AppError> {
    let people = user::Entity::find()
        .filter(user::Column::AccountId.eq(account.id))
        .filter(user::Column::Active.eq(true))
        .filter(user::Column::Phone.is_null())
        .order_by_asc(user::Column::FullName)
        .all(db)
        .await?;
    let with_app: HashSet<i32> = authenticator::Entity::find()
        .filter(authenticator::Column::AccountId.eq(account.id))
        .filter(authenticator::Column::ConfirmedAt.is_not_null())
        .all(db)
        .await?
        .into_iter()
        .map(|a| a.user_id)
        .collect();
    Ok(people
        .into_iter()
        .filter(|person| {
            // Would the switches ask this person for a second step if they had a phone?
            let wanted =
                two_factor::requirement(account, &with_phone(person), false) != Requirement::NotRequired;
            let now = two_factor::requirement(account, person, with_app.contains(&person.id));
            wanted && matches!(now, Requirement::NotRequired | Requirement::RequiredWithoutPhone)
        })
        .collect())
}

fn with_phone(person: &user::Model) -> user::Model {
    user::Model {
        phone: Some(String::from("+10000000000")),
        ..person.clone()
    }
}
