//! Clients: created by staff with generated credentials, visible only within the caseload
//! (provider: own; supervisor: their providers'; owner and admin: the whole account).
//! `page` gathers what the client page shows.

pub mod measure_link;
pub mod page;
pub mod schedule;

use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, EntityTrait, IntoActiveModel, QueryFilter,
    QueryOrder, QuerySelect, Set, TransactionTrait,
};

use entities::user;

use crate::auth::api::ApiClient;
use crate::auth::guards::{Acting, ClientUser, SignedIn};
use crate::auth::{password, session};
use crate::domain::{
    AgeGroup, ClientId, Email, FieldError, NewPassword, PersonName, PhoneNumber, Role, StaffId,
};
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

mod sealed {
    pub trait Sealed {}
}

/// A guard that has established the caller is a client: the web's `ClientUser` or the API's
/// `ApiClient`.
// SECURITY: sealed, so only these guards can vouch for "this is the client themselves".
pub trait SignedInClient: sealed::Sealed {
    fn client_user(&self) -> &user::Model;
}

impl sealed::Sealed for ClientUser {}

impl SignedInClient for ClientUser {
    fn client_user(&self) -> &user::Model {
        &self.user
    }
}

impl sealed::Sealed for ApiClient {}

impl SignedInClient for ApiClient {
    fn client_user(&self) -> &user::Model {
        &self.user
    }
}

/// A signed-in client's own record.
pub fn own_record(client: &impl SignedInClient) -> VisibleClient {
    VisibleClient(client.client_user().clone())
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

pub const CHOOSE_A_PROVIDER: &str = "Choose a provider from the list.";

/// The provider a client form names: one of `assignable_providers`. Left blank, a provider
/// keeps the client they are creating or editing. The outer `Err` is the database's; the inner
/// one is the message for the field.
pub async fn check_provider(
    db: &impl ConnectionTrait,
    actor: &SignedIn,
    chosen: Option<StaffId>,
) -> Result<Result<i32, FieldError>, AppError> {
    let allowed = assignable_providers(db, actor).await?;
    Ok(match chosen {
        None if actor.role() == Role::Provider => Ok(actor.user.id),
        chosen => chosen
            .map(StaffId::get)
            .filter(|id| allowed.iter().any(|p| p.id == *id))
            .ok_or_else(|| FieldError::new("provider_id", CHOOSE_A_PROVIDER)),
    })
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
        revoke_all(
            &txn,
            now,
            client.id,
            "phone changed",
            &crate::services::audit::Origin::new(actor.user.id, ip.clone()),
        )
        .await?;
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
    revoke_all(
        &txn,
        now,
        client.id,
        "password reset",
        &crate::services::audit::Origin::new(actor.user.id, ip.clone()),
    )
    .await?;
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

/// Whether the client sees their own graph on `/my`.
pub async fn set_graph_sharing(
    state: &AppState,
    actor: &impl Acting,
    client: VisibleClient,
    share: bool,
    ip: Option<String>,
) -> Result<(), AppError> {
    let now = state.now();
    let txn = state.db.begin().await?;
    let account_id = client.account_id;
    let client_id = client.id;
    let mut row = client.into_model().into_active_model();
    row.client_sees_graph = Set(share);
    row.update(&txn).await?;
    audit::record(
        &txn,
        now,
        Event::new("client.graph_sharing", "success")
            .ip(ip)
            .account(account_id)
            .actor(actor.acting_user().id)
            .subject(format!("client {client_id}"))
            .details(if share {
                "client may see their graph"
            } else {
                "graph hidden from client"
            }),
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

/// Audits that staff opened a client's record (the page, or the app with `details`).
pub async fn record_view(
    db: &impl ConnectionTrait,
    now: i64,
    actor: &impl Acting,
    client: &VisibleClient,
    ip: Option<String>,
    details: Option<&str>,
) -> Result<(), AppError> {
    let mut event = Event::new("client.viewed", "success")
        .account(client.account_id)
        .actor(actor.acting_user().id)
        .subject(format!("client {}", client.id))
        .ip(ip);
    if let Some(details) = details {
        event = event.details(details);
    }
    audit::record(db, now, event).await
}
