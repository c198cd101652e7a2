//! Staff: owners and admins create and update them; an admin manages only roles below admin.

use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, IntoActiveModel, QueryFilter, QueryOrder,
    Set, TransactionTrait,
};

use entities::user;

use crate::auth::guards::SignedIn;
use crate::auth::session;
use crate::domain::{Email, LoginId, NewPassword, PersonName, PhoneNumber, Role, StaffId};
use crate::error::AppError;
use crate::services::audit::{self, Event};
use crate::services::devices::revoke_all as revoke_credentials;
use crate::services::users::NewUser;
use crate::state::AppState;

/// A staff form after parsing. `login` and `password` are `None` on update when unchanged.
pub struct StaffInput {
    pub full_name: PersonName,
    pub login: Option<LoginId>,
    pub password: Option<NewPassword>,
    pub role: Role,
    pub phone: Option<PhoneNumber>,
    pub email: Option<Email>,
    pub supervisor_id: Option<i32>,
}

/// The roles this actor may give.
pub fn assignable_roles(actor: Role) -> Vec<Role> {
    match actor {
        Role::Owner => vec![Role::Admin, Role::Supervisor, Role::Provider],
        Role::Admin => vec![Role::Supervisor, Role::Provider],
        _ => Vec::new(),
    }
}

/// A staff member as the staff list shows them.
pub struct StaffListing {
    pub id: i32,
    pub full_name: String,
    pub login: String,
    pub role: Role,
    /// In full only for people the actor manages; otherwise masked (SPEC §2).
    pub phone: Option<String>,
    pub email: Option<String>,
    pub active: bool,
}

/// Whether the acting owner or admin manages this staff member: their own record, anyone
/// for the owner, and roles below admin for an admin.
fn manages(actor: &SignedIn, target: &user::Model) -> bool {
    target.role.is_staff()
        && (target.id == actor.user.id
            || actor.role() == Role::Owner
            || (actor.role() == Role::Admin && target.role < Role::Admin))
}

/// Every staff member of the actor's account, senior first.
pub async fn list(db: &impl ConnectionTrait, actor: &SignedIn) -> Result<Vec<StaffListing>, AppError> {
    let mut staff = user::Entity::find()
        .filter(user::Column::AccountId.eq(actor.account.id))
        .filter(user::Column::Role.is_in(Role::STAFF))
        .order_by_asc(user::Column::FullName)
        .all(db)
        .await?;
    staff.sort_by_key(|u| std::cmp::Reverse(u.role));
    Ok(staff
        .into_iter()
        .map(|u| {
            // SECURITY: another manager's phone number is shown masked.
            let phone = if manages(actor, &u) {
                u.phone.clone()
            } else {
                u.phone.as_deref().map(crate::domain::phone::mask)
            };
            StaffListing {
                id: u.id,
                full_name: u.full_name,
                login: u.login,
                role: u.role,
                phone,
                email: u.email,
                active: u.active,
            }
        })
        .collect())
}

/// Supervisors of the account, for the supervisor choice.
pub async fn supervisors(db: &impl ConnectionTrait, account_id: i32) -> Result<Vec<user::Model>, AppError> {
    Ok(user::Entity::find()
        .filter(user::Column::AccountId.eq(account_id))
        .filter(user::Column::Role.eq(Role::Supervisor))
        .filter(user::Column::Active.eq(true))
        .order_by_asc(user::Column::FullName)
        .all(db)
        .await?)
}

/// A staff member the acting owner or admin may manage. Only `find_managed` makes one, so a
/// use case that takes it cannot be called with an unchecked id.
#[derive(Debug, Clone)]
pub struct ManagedStaff(user::Model);

impl ManagedStaff {
    pub fn model(&self) -> &user::Model {
        &self.0
    }

    pub fn into_model(self) -> user::Model {
        self.0
    }
}

impl std::ops::Deref for ManagedStaff {
    type Target = user::Model;

    fn deref(&self) -> &user::Model {
        &self.0
    }
}

/// A staff member the actor may manage: in their account, and below admin unless the actor is
/// the owner (or it is the actor's own record). Anything else is "not found".
pub async fn find_managed(
    db: &impl ConnectionTrait,
    actor: &SignedIn,
    id: StaffId,
) -> Result<ManagedStaff, AppError> {
    let target = user::Entity::find_by_id(id.get())
        .filter(user::Column::AccountId.eq(actor.account.id))
        .one(db)
        .await?
        .ok_or(AppError::NotFound)?;
    if manages(actor, &target) {
        Ok(ManagedStaff(target))
    } else {
        Err(AppError::NotFound)
    }
}

/// Checks the chosen supervisor is a supervisor of this account.
pub async fn check_supervisor(
    db: &impl ConnectionTrait,
    account_id: i32,
    id: Option<i32>,
) -> Result<bool, AppError> {
    let Some(id) = id else { return Ok(true) };
    Ok(user::Entity::find_by_id(id)
        .filter(user::Column::AccountId.eq(account_id))
        .filter(user::Column::Role.eq(Role::Supervisor))
        .one(db)
        .await?
        .is_some())
}

pub async fn create(
    state: &AppState,
    actor: &SignedIn,
    input: StaffInput,
    ip: Option<String>,
) -> Result<user::Model, AppError> {
    let (Some(login), Some(new_password)) = (input.login, input.password) else {
        return Err(AppError::BadRequest(
            "A new staff member needs a user ID and a password.".into(),
        ));
    };
    if !assignable_roles(actor.role()).contains(&input.role) {
        return Err(AppError::Forbidden);
    }
    let hash = state.hasher.hash(&new_password).await?;
    let now = state.now();
    let txn = state.db.begin().await?;
    let created = NewUser {
        email: input.email.map(Email::into_inner),
        phone: input.phone.map(PhoneNumber::into_inner),
        supervisor_id: input.supervisor_id,
        ..NewUser::staff(
            actor.account.id,
            input.role,
            login.into_inner(),
            input.full_name.into_inner(),
            hash,
        )
    }
    .insert(&txn, now)
    .await?;
    audit::record(
        &txn,
        now,
        Event::new("staff.created", "success")
            .account(actor.account.id)
            .actor(actor.user.id)
            .subject(format!("user {}", created.id))
            .ip(ip)
            .details(format!("role {}", created.role)),
    )
    .await?;
    txn.commit().await?;
    Ok(created)
}

pub async fn update(
    state: &AppState,
    actor: &SignedIn,
    target: ManagedStaff,
    input: StaffInput,
    ip: Option<String>,
) -> Result<user::Model, AppError> {
    let target_role = target.role;
    // The owner stays owner; nobody raises anyone above what they may assign.
    let role = if target_role == Role::Owner || target.id == actor.user.id {
        target_role
    } else if assignable_roles(actor.role()).contains(&input.role) {
        input.role
    } else {
        return Err(AppError::Forbidden);
    };
    let new_hash = match &input.password {
        Some(p) => Some(state.hasher.hash(p).await?),
        None => None,
    };
    let now = state.now();
    let phone = input.phone.map(PhoneNumber::into_inner);
    let phone_changed = phone != target.phone;
    let txn = state.db.begin().await?;
    let mut changes = target.model().clone().into_active_model();
    changes.full_name = Set(input.full_name.into_inner());
    changes.email = Set(input.email.map(Email::into_inner));
    changes.phone = Set(phone);
    changes.role = Set(role);
    changes.supervisor_id = Set(input.supervisor_id.filter(|id| *id != target.id));
    changes.updated_at = Set(now);
    if let Some(hash) = new_hash.clone() {
        changes.password_hash = Set(hash);
    }
    let updated = changes.update(&txn).await?;
    let event = |action| {
        Event::new(action, "success")
            .account(actor.account.id)
            .actor(actor.user.id)
            .subject(format!("user {}", target.id))
            .ip(ip.clone())
    };
    audit::record(&txn, now, event("staff.updated")).await?;
    if phone_changed {
        audit::record(&txn, now, event("phone.changed")).await?;
        revoke_credentials(
            &txn,
            now,
            target.id,
            "phone changed",
            &crate::services::audit::Origin::new(actor.user.id, ip.clone()),
        )
        .await?;
    }
    if new_hash.is_some() {
        audit::record(&txn, now, event("password.changed")).await?;
        // SECURITY: a password set by someone else ends the person's sessions and devices,
        // except the session making the change when it is their own.
        let keep = (target.id == actor.user.id).then_some(actor.session.id);
        session::delete_all_for_user(&txn, target.id, keep).await?;
        revoke_credentials(
            &txn,
            now,
            target.id,
            "password changed",
            &crate::services::audit::Origin::new(actor.user.id, ip.clone()),
        )
        .await?;
    }
    txn.commit().await?;
    Ok(updated)
}

/// Deactivates (ending every session and registration) or reactivates a staff member.
pub async fn set_active(
    state: &AppState,
    actor: &SignedIn,
    target: ManagedStaff,
    active: bool,
    ip: Option<String>,
) -> Result<(), AppError> {
    set_person_active(state, actor, target.into_model(), active, ip).await
}

/// Deactivation ends every session and registration at once. Callers checked the person is
/// theirs to manage (`ManagedStaff`, `VisibleClient`).
pub(super) async fn set_person_active(
    state: &AppState,
    actor: &SignedIn,
    target: user::Model,
    active: bool,
    ip: Option<String>,
) -> Result<(), AppError> {
    if target.id == actor.user.id {
        return Err(AppError::BadRequest("You cannot deactivate yourself.".into()));
    }
    let now = state.now();
    let txn = state.db.begin().await?;
    let subject = format!("user {}", target.id);
    let mut changes = target.into_active_model();
    changes.active = Set(active);
    changes.updated_at = Set(now);
    let target = changes.update(&txn).await?;
    if !active {
        session::delete_all_for_user(&txn, target.id, None).await?;
        revoke_credentials(
            &txn,
            now,
            target.id,
            "deactivated",
            &crate::services::audit::Origin::new(actor.user.id, ip.clone()),
        )
        .await?;
        // A client's outstanding measures links die with the account (SPEC §3.1).
        super::clients::measure_link::revoke_all(&txn, target.id, now).await?;
    }
    let action = match (target.role, active) {
        (Role::Client, true) => "client.reactivated",
        (Role::Client, false) => "client.deactivated",
        (_, true) => "staff.reactivated",
        (_, false) => "staff.deactivated",
    };
    audit::record(
        &txn,
        now,
        Event::new(action, "success")
            .account(actor.account.id)
            .actor(actor.user.id)
            .subject(subject)
            .ip(ip),
    )
    .await?;
    txn.commit().await?;
    Ok(())
}
