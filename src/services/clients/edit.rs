//! Changing a client: creating one with generated credentials, saving their details (a new
//! phone or e-mail ends their registrations or measures links), a new password, deactivation
//! and graph sharing. Each change is one transaction with its audit row.

use sea_orm::{ActiveModelTrait, ConnectionTrait, IntoActiveModel, Set, TransactionTrait};

use entities::user;

use super::VisibleClient;
use super::measure_link::revoke_all as revoke_links;
use crate::auth::guards::{Acting, SignedIn};
use crate::auth::{password, session};
use crate::domain::{AgeGroup, Email, NewPassword, PersonName, PhoneNumber};
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

async fn unique_login(db: &impl ConnectionTrait) -> Result<String, AppError> {
    for _ in 0..20 {
        let candidate = password::generate_client_login();
        if !crate::services::login_taken(db, &candidate).await? {
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
    let email = input.email.map(Email::into_inner);
    let phone_changed = phone != client.phone;
    let email_changed = email != client.email;
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
    changes.email = Set(email);
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
    if phone_changed || email_changed {
        // SPEC §3.1: a link sent to the old phone or address no longer works.
        revoke_links(&txn, client.id, now).await?;
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
    crate::services::staff::set_person_active(state, actor, client.into_model(), active, ip).await
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
