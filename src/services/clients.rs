//! Clients: created by staff with generated credentials, visible only within the caseload
//! (provider: own; supervisor: their providers'; owner and admin: the whole account).

use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, EntityTrait, IntoActiveModel, QueryFilter,
    QueryOrder, QuerySelect, Set, TransactionTrait,
};

use entities::user;

use crate::auth::guards::{Acting, ClientUser, SignedIn};
use crate::auth::{password, session};
use crate::domain::{AgeGroup, ClientId, Email, NewPassword, PersonName, PhoneNumber, Role};
use crate::error::AppError;
use crate::services::audit::{self, Event};
use crate::services::devices::revoke_all;
use crate::services::users::NewUser;
use crate::state::AppState;

pub struct ClientInput {
    pub first_name: PersonName,
    pub last_name: PersonName,
    pub age_group: AgeGroup,
    pub phone: Option<PhoneNumber>,
    pub email: Option<Email>,
    pub provider_id: i32,
}

/// The sign-in a new client is given, shown once.
pub struct Credentials {
    pub client: user::Model,
    pub login: String,
    pub password: NewPassword,
}

/// The condition that limits a query on clients to the actor's caseload.
async fn caseload(db: &impl ConnectionTrait, actor: &impl Acting) -> Result<Condition, AppError> {
    let me = actor.acting_user();
    let base = Condition::all()
        .add(user::Column::AccountId.eq(me.account_id))
        .add(user::Column::Role.eq(Role::Client));
    Ok(match actor.acting_role() {
        Role::Owner | Role::Admin => base,
        Role::Supervisor => {
            let providers: Vec<i32> = user::Entity::find()
                .select_only()
                .column(user::Column::Id)
                .filter(user::Column::AccountId.eq(me.account_id))
                .filter(user::Column::SupervisorId.eq(me.id))
                .into_tuple()
                .all(db)
                .await?;
            base.add(
                Condition::any()
                    .add(user::Column::ProviderId.eq(me.id))
                    .add(user::Column::ProviderId.is_in(providers)),
            )
        }
        Role::Provider => base.add(user::Column::ProviderId.eq(me.id)),
        Role::Client => base.add(user::Column::Id.eq(-1)),
    })
}

pub async fn list(db: &impl ConnectionTrait, actor: &impl Acting) -> Result<Vec<user::Model>, AppError> {
    Ok(user::Entity::find()
        .filter(caseload(db, actor).await?)
        .order_by_asc(user::Column::LastName)
        .order_by_asc(user::Column::FirstName)
        .all(db)
        .await?)
}

/// A client the acting person may see and act on. Only `find` (the caseload check) and
/// `own_record` (a client acting on themselves) make one, so a use case that takes it cannot
/// be called with an unchecked id.
#[derive(Debug, Clone)]
pub struct VisibleClient(user::Model);

impl VisibleClient {
    pub fn model(&self) -> &user::Model {
        &self.0
    }

    pub fn into_model(self) -> user::Model {
        self.0
    }
}

impl std::ops::Deref for VisibleClient {
    type Target = user::Model;

    fn deref(&self) -> &user::Model {
        &self.0
    }
}

/// One client of the actor's caseload; anyone else's is "not found".
pub async fn find(
    db: &impl ConnectionTrait,
    actor: &impl Acting,
    id: ClientId,
) -> Result<VisibleClient, AppError> {
    user::Entity::find_by_id(id.get())
        .filter(caseload(db, actor).await?)
        .one(db)
        .await?
        .map(VisibleClient)
        .ok_or(AppError::NotFound)
}

/// A signed-in client's own record.
pub fn own_record(client: &ClientUser) -> VisibleClient {
    VisibleClient(client.user.clone())
}

/// The staff this actor may give a client to.
pub async fn assignable_providers(
    db: &impl ConnectionTrait,
    actor: &SignedIn,
) -> Result<Vec<user::Model>, AppError> {
    let mut query = user::Entity::find()
        .filter(user::Column::AccountId.eq(actor.account.id))
        .filter(user::Column::Active.eq(true))
        .filter(user::Column::Role.ne(Role::Client));
    query = match actor.role() {
        Role::Owner | Role::Admin => query,
        Role::Supervisor => query.filter(
            Condition::any()
                .add(user::Column::Id.eq(actor.user.id))
                .add(user::Column::SupervisorId.eq(actor.user.id)),
        ),
        _ => query.filter(user::Column::Id.eq(actor.user.id)),
    };
    Ok(query.order_by_asc(user::Column::FullName).all(db).await?)
}

async fn unique_login(db: &impl ConnectionTrait) -> Result<String, AppError> {
    for _ in 0..20 {
        let candidate = password::generate_client_login();
        if !super::login_taken(db, &candidate).await? {
            return Ok(candidate);
        }
    }
    Err(AppError::Internal("could not find a free client user ID".into()))
}

pub async fn create(
    state: &AppState,
    actor: &SignedIn,
    input: ClientInput,
    ip: Option<String>,
) -> Result<Credentials, AppError> {
    let login = unique_login(&state.db).await?;
    let new_password = password::generate_client_password();
    let hash = state.hasher.hash(&new_password).await?;
    let now = state.now();
    let txn = state.db.begin().await?;
    let client = NewUser {
        email: input.email.map(Email::into_inner),
        phone: input.phone.map(PhoneNumber::into_inner),
        ..NewUser::client(
            actor.account.id,
            login.clone(),
            (input.first_name.into_inner(), input.last_name.into_inner()),
            input.age_group,
            input.provider_id,
            hash,
        )
    }
    .insert(&txn, now)
    .await?;
    audit::record(
        &txn,
        now,
        Event::new("client.created", "success")
            .account(actor.account.id)
            .actor(actor.user.id)
            .subject(format!("client {}", client.id))
            .ip(ip),
    )
    .await?;
    txn.commit().await?;
    Ok(Credentials {
        client,
        login,
        password: new_password,
    })
}

pub async fn update(
    state: &AppState,
    actor: &SignedIn,
    client: VisibleClient,
    input: ClientInput,
    ip: Option<String>,
) -> Result<user::Model, AppError> {
    let now = state.now();
    let phone = input.phone.map(PhoneNumber::into_inner);
    let phone_changed = phone != client.phone;
    let provider_changed = Some(input.provider_id) != client.provider_id;
    let txn = state.db.begin().await?;
    let mut changes = client.model().clone().into_active_model();
    changes.full_name = Set(format!(
        "{} {}",
        input.first_name.as_str(),
        input.last_name.as_str()
    ));
    changes.first_name = Set(Some(input.first_name.into_inner()));
    changes.last_name = Set(Some(input.last_name.into_inner()));
    changes.age_group = Set(Some(input.age_group));
    changes.email = Set(input.email.map(Email::into_inner));
    changes.phone = Set(phone);
    changes.provider_id = Set(Some(input.provider_id));
    changes.updated_at = Set(now);
    let updated = changes.update(&txn).await?;
    let event = |action| {
        Event::new(action, "success")
            .account(actor.account.id)
            .actor(actor.user.id)
            .subject(format!("client {}", client.id))
            .ip(ip.clone())
    };
    audit::record(&txn, now, event("client.updated")).await?;
    if phone_changed {
        audit::record(&txn, now, event("phone.changed")).await?;
        revoke_all(&txn, now, client.id, "phone changed").await?;
    }
    if provider_changed {
        audit::record(
            &txn,
            now,
            event("client.transferred").details(format!(
                "provider {} -> {}",
                client.provider_id.unwrap_or_default(),
                input.provider_id
            )),
        )
        .await?;
    }
    txn.commit().await?;
    Ok(updated)
}

/// A new generated password: the old one, every session and every registration stop working.
pub async fn reset_password(
    state: &AppState,
    actor: &SignedIn,
    client: VisibleClient,
    ip: Option<String>,
) -> Result<Credentials, AppError> {
    let new_password = password::generate_client_password();
    let hash = state.hasher.hash(&new_password).await?;
    let now = state.now();
    let txn = state.db.begin().await?;
    let login = client.login.clone();
    let mut changes = client.into_model().into_active_model();
    changes.password_hash = Set(hash);
    changes.updated_at = Set(now);
    let client = changes.update(&txn).await?;
    session::delete_all_for_user(&txn, client.id, None).await?;
    revoke_all(&txn, now, client.id, "password reset").await?;
    audit::record(
        &txn,
        now,
        Event::new("password.reset", "success")
            .account(actor.account.id)
            .actor(actor.user.id)
            .subject(format!("client {}", client.id))
            .ip(ip),
    )
    .await?;
    txn.commit().await?;
    Ok(Credentials {
        client,
        login,
        password: new_password,
    })
}

/// Deactivates (ending every session and registration) or reactivates a client.
pub async fn set_active(
    state: &AppState,
    actor: &SignedIn,
    client: VisibleClient,
    active: bool,
    ip: Option<String>,
) -> Result<(), AppError> {
    super::staff::set_person_active(state, actor, client.into_model(), active, ip).await
}
