//! The owner's Options: two-factor switches, device lifetime, idle sign-out, and the
//! practice's measures and flag thresholds, saved together or not at all.

use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, IntoActiveModel, QueryFilter, QueryOrder,
    Set, TransactionTrait,
};

use std::collections::HashSet;

use entities::{account, authenticator, passkey, user};

use crate::auth::guards::SignedIn;
use crate::domain::FieldError;
use crate::domain::measures::MeasureId;
use crate::domain::scoring::FlagSettings;
use crate::domain::{PhoneRegion, Role, TimeZone};
use crate::error::AppError;
use crate::services::audit::{self, Event};
use crate::services::devices::revoke_all;
use crate::services::outcomes::{self, OutcomeSettings};
use crate::services::practice;
use crate::services::second_step::{self, Held, Requirement};
use crate::state::AppState;

/// Everything the Options page sets.
pub struct Options {
    pub staff_two_factor: bool,
    pub staff_require_authenticator: bool,
    /// Owners and admins must use a passkey (SPEC §2.1).
    pub admin_require_passkey: bool,
    pub client_two_factor: bool,
    pub device_days: i32,
    pub idle_minutes: i32,
    pub measures: Vec<MeasureId>,
    pub reliable_change: f64,
    pub alliance_cutoff: f64,
    pub alliance_drop: f64,
    /// The practice's locale (its own block of the page): `None` keeps what is stored.
    pub locale: LocaleChange,
}

/// The Options page's time zone and phone country; each `None` keeps the stored one.
#[derive(Debug, Clone, Copy, Default)]
pub struct LocaleChange {
    pub time_zone: Option<TimeZone>,
    pub phone_region: Option<PhoneRegion>,
}

/// The owner's account's options as saved.
pub async fn current(db: &impl ConnectionTrait, owner: &SignedIn) -> Result<Options, AppError> {
    let clinical = outcomes::settings(db, owner.account.id).await?;
    let account = &owner.account;
    Ok(Options {
        staff_two_factor: account.staff_two_factor,
        staff_require_authenticator: account.staff_require_authenticator,
        admin_require_passkey: account.admin_require_passkey,
        client_two_factor: account.client_two_factor,
        device_days: account.device_days,
        idle_minutes: account.idle_minutes,
        measures: clinical.measures,
        reliable_change: clinical.flags.reliable_change,
        alliance_cutoff: clinical.flags.alliance_cutoff,
        alliance_drop: clinical.flags.alliance_drop,
        locale: LocaleChange::default(),
    })
}

/// Saves both halves of the page in one transaction, each change audited.
pub async fn save(
    state: &AppState,
    owner: &SignedIn,
    input: Options,
    ip: Option<String>,
) -> Result<(), AppError> {
    // An owner who requires passkeys of owners and admins must hold one: otherwise their next
    // sign-in would stop at a walk-through they may not be able to finish on this device.
    if input.admin_require_passkey
        && !owner.account.admin_require_passkey
        && second_step::passkey::count(&state.db, owner.user.id).await? == 0
    {
        return Err(AppError::Invalid(vec![FieldError::new(
            "admin_require_passkey",
            "Add a passkey for yourself on the Security page first.",
        )]));
    }
    let now = state.now();
    let txn = state.db.begin().await?;
    save_switches(&txn, now, owner.user.id, &owner.account, &input, ip.clone()).await?;
    let clinical = OutcomeSettings {
        measures: input.measures,
        flags: FlagSettings {
            reliable_change: input.reliable_change,
            alliance_cutoff: input.alliance_cutoff,
            alliance_drop: input.alliance_drop,
        },
    };
    save_clinical(&txn, now, owner, &clinical, ip.clone()).await?;
    save_locale(&txn, now, owner, state, input.locale, ip).await?;
    txn.commit().await?;
    Ok(())
}

/// The measures and flag thresholds; stored flags are brought in line with new thresholds.
async fn save_clinical(
    db: &impl ConnectionTrait,
    now: i64,
    owner: &SignedIn,
    clinical: &OutcomeSettings,
    ip: Option<String>,
) -> Result<(), AppError> {
    let account_id = owner.account.id;
    let before = outcomes::settings(db, account_id).await?;
    outcomes::save_settings(db, account_id, clinical).await?;
    if before != *clinical {
        let list = |m: &[MeasureId]| m.iter().map(|x| x.as_str()).collect::<Vec<_>>().join(",");
        let f = |x: &FlagSettings| {
            format!(
                "reliable_change {}, alliance_cutoff {}, alliance_drop {}",
                x.reliable_change, x.alliance_cutoff, x.alliance_drop
            )
        };
        audit::record(
            db,
            now,
            Event::new("options.changed", "success")
                .account(account_id)
                .actor(owner.user.id)
                .ip(ip)
                .details(format!(
                    "measures: {} -> {}; {} -> {}",
                    list(&before.measures),
                    list(&clinical.measures),
                    f(&before.flags),
                    f(&clinical.flags)
                )),
        )
        .await?;
    }
    if before.flags != clinical.flags {
        // Dashboards read stored flags: bring them in line with the new thresholds now.
        outcomes::refresh_account_summaries(db, account_id, clinical, now).await?;
    }
    Ok(())
}

/// The two-factor switches, device lifetime and idle sign-out.
async fn save_switches(
    db: &impl ConnectionTrait,
    now: i64,
    actor_id: i32,
    account: &account::Model,
    input: &Options,
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
        "admin_require_passkey",
        account.admin_require_passkey.to_string(),
        input.admin_require_passkey.to_string(),
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
    active.admin_require_passkey = Set(input.admin_require_passkey);
    active.client_two_factor = Set(input.client_two_factor);
    active.device_days = Set(input.device_days);
    active.idle_minutes = Set(input.idle_minutes);
    active.update(db).await?;
    if input.staff_require_authenticator && !account.staff_require_authenticator {
        // "No texts" must hold at once: browsers that staff registered with a texted code stop
        // counting, and every staff sign-in goes through the app (or its set-up) again.
        let staff = user::Entity::find()
            .filter(user::Column::AccountId.eq(account.id))
            .filter(user::Column::Role.is_in(Role::STAFF))
            .all(db)
            .await?;
        for person in staff {
            revoke_all(
                db,
                now,
                person.id,
                "the owner required an authenticator app",
                &crate::services::audit::Origin::new(actor_id, ip.clone()),
            )
            .await?;
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

// --- The practice's time zone and phone country (SPEC §3.3) ---

/// Stores a new time zone or phone country, audited with what it was before.
async fn save_locale(
    db: &impl ConnectionTrait,
    now: i64,
    owner: &SignedIn,
    state: &AppState,
    change: LocaleChange,
    ip: Option<String>,
) -> Result<(), AppError> {
    let before = practice::locale(state, &owner.account);
    let zone = change.time_zone.unwrap_or(before.zone);
    let region = change.phone_region.unwrap_or(before.region);
    let mut changes = Vec::new();
    if zone != before.zone {
        changes.push(format!("time_zone: {} -> {}", before.zone.name(), zone.name()));
    }
    // A practice that never chose a country keeps following the server's until one is chosen.
    let stored_region = owner.account.phone_region.as_deref();
    if stored_region != Some(region.code()) && (stored_region.is_some() || region != before.region) {
        changes.push(format!(
            "phone_region: {} -> {}",
            before.region.code(),
            region.code()
        ));
    }
    if changes.is_empty() {
        return Ok(());
    }
    account::Entity::update_many()
        .col_expr(account::Column::TimeZone, Expr::value(zone.name()))
        .col_expr(account::Column::PhoneRegion, Expr::value(region.code()))
        .filter(account::Column::Id.eq(owner.account.id))
        .exec(db)
        .await?;
    audit::record(
        db,
        now,
        Event::new("options.changed", "success")
            .ip(ip)
            .account(owner.account.id)
            .actor(owner.user.id)
            .details(changes.join("; ")),
    )
    .await
}

// --- People without a phone ---

/// Someone the Options page lists as needing a phone number.
pub struct Unprotected {
    pub id: i32,
    pub full_name: String,
    pub role: Role,
}

/// Active people whom the account wants protected who have neither a phone number nor an
/// authenticator app nor a passkey, and whom no app requirement walks through setting one up.
pub async fn missing_phones(
    db: &impl ConnectionTrait,
    owner: &SignedIn,
) -> Result<Vec<Unprotected>, AppError> {
    let account = &owner.account;
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
    let with_passkey: HashSet<i32> = passkey::Entity::find()
        .filter(passkey::Column::AccountId.eq(account.id))
        .all(db)
        .await?
        .into_iter()
        .map(|p| p.user_id)
        .collect();
    Ok(people
        .into_iter()
        .filter(|person| {
            // Would the switches ask this person for a second step if they had a phone?
            let wanted = second_step::requirement(account, &with_phone(person), Held::default())
                != Requirement::NotRequired;
            let held = Held {
                app: with_app.contains(&person.id),
                passkey: with_passkey.contains(&person.id),
            };
            let now = second_step::requirement(account, person, held);
            wanted && matches!(now, Requirement::NotRequired | Requirement::RequiredWithoutPhone)
        })
        .map(|person| Unprotected {
            id: person.id,
            full_name: person.full_name,
            role: person.role,
        })
        .collect())
}

fn with_phone(person: &user::Model) -> user::Model {
    user::Model {
        phone: Some(String::from("+10000000000")),
        ..person.clone()
    }
}
