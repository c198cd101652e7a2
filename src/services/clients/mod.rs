//! Clients: created by staff with generated credentials, visible only within the caseload
//! (provider: own; supervisor: their providers'; owner and admin: the whole account).
//! `edit` changes a client; `page` gathers what the client page shows; `measure_link` and
//! `schedule` are the telehealth invitations.

mod edit;
pub mod measure_link;
pub mod page;
pub mod schedule;

pub use edit::{ClientInput, Credentials, create, reset_password, set_active, set_graph_sharing, update};

use sea_orm::{ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};

use entities::user;

use crate::auth::api::ApiClient;
use crate::auth::guards::{Acting, ClientUser, SignedIn};
use crate::domain::{ClientId, FieldError, Role, StaffId};
use crate::error::AppError;
use crate::services::audit::{self, Event};

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
        .filter(user::Column::Role.is_in(Role::STAFF));
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
