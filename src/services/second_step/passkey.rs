//! Passkeys (WebAuthn, SPEC §2.1): adding one (resident key and user verification required,
//! attestation `none`, existing ones excluded), signing in with one alone (discoverable, so no
//! user ID is typed), using one as the second step, and the clone signal (a signature counter
//! going backwards). Each ceremony's state is a database row found by its challenge and used
//! once, so any instance can finish what another started and nothing can be replayed.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, Set,
};
use serde_json::Value;
use webauthn_rs::prelude::{
    DiscoverableAuthentication, Passkey, PasskeyAuthentication, PasskeyRegistration, PublicKeyCredential,
    RegisterPublicKeyCredential, Uuid, Webauthn, WebauthnBuilder, WebauthnError,
};

use entities::{account, passkey, user, webauthn_ceremony};

use crate::domain::PasskeyName;
use crate::error::AppError;
use crate::services::audit::{self, Event};
use crate::services::notify;
use crate::state::AppState;

/// A ceremony must finish within this time (SPEC §2.1: 5 minutes).
pub const CEREMONY_SECONDS: i64 = 5 * 60;

const REGISTER: &str = "register";
const SIGN_IN: &str = "sign_in";
const SECOND_STEP: &str = "second_step";

/// The relying party for `public_url`: its host is the RP ID and the URL the only origin.
/// `Err` says why passkeys cannot be offered (an IP address is never a valid RP ID).
pub fn relying_party(public_url: &url::Url) -> Result<Webauthn, String> {
    let Some(domain) = public_url.domain() else {
        return Err(format!(
            "passkeys need public_url to name a host (e.g. http://localhost:{}), not an IP address",
            public_url.port_or_known_default().unwrap_or(80)
        ));
    };
    WebauthnBuilder::new(domain, public_url)
        .and_then(|builder| builder.rp_name("Outcomes").build())
        .map_err(|e| format!("passkeys cannot use public_url {public_url}: {e}"))
}

fn relying_party_of(state: &AppState) -> Result<&Webauthn, AppError> {
    state
        .webauthn
        .as_ref()
        .map_err(|why| AppError::BadRequest(format!("Passkeys are not available on this server: {why}.")))
}

fn refused() -> AppError {
    AppError::BadRequest("That passkey could not be checked. Please try again.".into())
}

fn json<T: serde::Serialize>(value: &T) -> Result<String, AppError> {
    serde_json::to_string(value).map_err(|e| AppError::Internal(format!("passkey json: {e}")))
}

/// The challenge a browser signed, read from the credential's `clientDataJSON`.
fn signed_challenge(credential: &Value) -> Option<String> {
    let encoded = credential.get("response")?.get("clientDataJSON")?.as_str()?;
    let bytes = URL_SAFE_NO_PAD.decode(encoded.trim_end_matches('=')).ok()?;
    let client_data: Value = serde_json::from_slice(&bytes).ok()?;
    client_data
        .get("challenge")?
        .as_str()
        .map(|c| c.trim_end_matches('=').to_string())
}

async fn store_ceremony(
    state: &AppState,
    kind: &str,
    user_id: Option<i32>,
    options: &Value,
    state_json: String,
) -> Result<(), AppError> {
    let challenge = options["publicKey"]["challenge"]
        .as_str()
        .ok_or_else(|| AppError::Internal("passkey options without a challenge".into()))?;
    let now = state.now();
    // Old ceremonies are of no use to anyone: clear them as new ones start.
    webauthn_ceremony::Entity::delete_many()
        .filter(webauthn_ceremony::Column::ExpiresAt.lte(now))
        .exec(&state.db)
        .await?;
    webauthn_ceremony::ActiveModel {
        challenge: Set(challenge.trim_end_matches('=').to_string()),
        kind: Set(kind.to_string()),
        user_id: Set(user_id),
        state_json: Set(state_json),
        expires_at: Set(now + CEREMONY_SECONDS),
        ..Default::default()
    }
    .insert(&state.db)
    .await?;
    Ok(())
}

/// The state of the live ceremony of `kind` whose challenge the credential signed, taken:
/// deleted in one statement, so only one request ever finishes it.
async fn take_ceremony(
    state: &AppState,
    kind: &str,
    user_id: Option<i32>,
    credential: &Value,
) -> Result<Option<String>, AppError> {
    let Some(challenge) = signed_challenge(credential) else {
        return Ok(None);
    };
    let Some(found) = webauthn_ceremony::Entity::find()
        .filter(webauthn_ceremony::Column::Challenge.eq(challenge))
        .filter(webauthn_ceremony::Column::Kind.eq(kind))
        .one(&state.db)
        .await?
    else {
        return Ok(None);
    };
    // SECURITY: single use — whoever deletes the row finishes the ceremony; a replay finds none.
    let taken = webauthn_ceremony::Entity::delete_many()
        .filter(webauthn_ceremony::Column::Id.eq(found.id))
        .exec(&state.db)
        .await?;
    let live = found.expires_at > state.now() && found.user_id == user_id;
    Ok((taken.rows_affected == 1 && live).then_some(found.state_json))
}

/// How many passkeys a person has.
pub async fn count(db: &impl ConnectionTrait, user_id: i32) -> Result<u64, AppError> {
    Ok(passkey::Entity::find()
        .filter(passkey::Column::UserId.eq(user_id))
        .count(db)
        .await?)
}

/// A person's passkeys, oldest first.
pub async fn list(db: &impl ConnectionTrait, user_id: i32) -> Result<Vec<passkey::Model>, AppError> {
    Ok(passkey::Entity::find()
        .filter(passkey::Column::UserId.eq(user_id))
        .order_by_asc(passkey::Column::Id)
        .all(db)
        .await?)
}

fn stored(row: &passkey::Model) -> Result<Passkey, AppError> {
    serde_json::from_str(&row.passkey_json).map_err(|e| AppError::Internal(format!("stored passkey: {e}")))
}

/// The person's passkey user handle, made on first use: a random UUID, never the database id.
async fn webauthn_id(state: &AppState, user: &user::Model) -> Result<Uuid, AppError> {
    if let Some(id) = user.webauthn_id.as_deref().and_then(|s| Uuid::parse_str(s).ok()) {
        return Ok(id);
    }
    user::Entity::update_many()
        .col_expr(user::Column::WebauthnId, Expr::value(Uuid::new_v4().to_string()))
        .filter(user::Column::Id.eq(user.id))
        .filter(user::Column::WebauthnId.is_null())
        .exec(&state.db)
        .await?;
    // Re-read: another request may have set it first.
    user::Entity::find_by_id(user.id)
        .one(&state.db)
        .await?
        .and_then(|u| u.webauthn_id)
        .and_then(|s| Uuid::parse_str(&s).ok())
        .ok_or_else(|| AppError::Internal("no passkey user handle".into()))
}

/// Creation options for a new passkey of `user` (the caller checked the current password or
/// that this is the required walk-through). Resident key and user verification required,
/// attestation `none`, the person's passkeys excluded.
pub async fn start_registration(state: &AppState, user: &user::Model) -> Result<Value, AppError> {
    let party = relying_party_of(state)?;
    let handle = webauthn_id(state, user).await?;
    let existing = list(&state.db, user.id)
        .await?
        .iter()
        .map(stored)
        .collect::<Result<Vec<_>, _>>()?;
    let exclude = existing.iter().map(|p| p.cred_id().clone()).collect();
    let (mut options, ceremony) = party
        .start_passkey_registration(handle, &user.login, &user.full_name, Some(exclude))
        .map_err(|e| AppError::Internal(format!("passkey registration: {e}")))?;
    // webauthn-rs asks for a non-resident key; SPEC §2.1 wants one the browser can find alone.
    if let Some(selection) = options.public_key.authenticator_selection.as_mut() {
        selection.resident_key = Some(webauthn_rs_proto::ResidentKeyRequirement::Required);
        selection.require_resident_key = true;
    }
    let options = serde_json::to_value(&options).map_err(|e| AppError::Internal(e.to_string()))?;
    store_ceremony(state, REGISTER, Some(user.id), &options, json(&ceremony)?).await?;
    Ok(options)
}

/// Finishes adding a passkey: audited, and the person is e-mailed.
pub async fn finish_registration(
    state: &AppState,
    user: &user::Model,
    name: &PasskeyName,
    credential: &Value,
    ip: Option<String>,
) -> Result<passkey::Model, AppError> {
    let party = relying_party_of(state)?;
    let Some(ceremony) = take_ceremony(state, REGISTER, Some(user.id), credential).await? else {
        return Err(AppError::BadRequest(
            "This request to add a passkey expired or was already used. Start again.".into(),
        ));
    };
    let ceremony: PasskeyRegistration =
        serde_json::from_str(&ceremony).map_err(|e| AppError::Internal(e.to_string()))?;
    let response: RegisterPublicKeyCredential =
        serde_json::from_value(credential.clone()).map_err(|_| refused())?;
    let passkey = party
        .finish_passkey_registration(&response, &ceremony)
        .map_err(|_| refused())?;
    let now = state.now();
    let created = passkey::ActiveModel {
        user_id: Set(user.id),
        account_id: Set(user.account_id),
        cred_id: Set(URL_SAFE_NO_PAD.encode(passkey.cred_id().as_slice())),
        name: Set(name.as_str().to_string()),
        passkey_json: Set(json(&passkey)?),
        created_at: Set(now),
        last_used_at: Set(None),
        ..Default::default()
    }
    .insert(&state.db)
    .await
    .map_err(|e| match AppError::from(e) {
        // SECURITY: a credential id is registered once, for one person.
        AppError::Conflict => AppError::BadRequest("That passkey is already registered.".into()),
        other => other,
    })?;
    audit::record(
        &state.db,
        now,
        Event::new("passkey.added", "success")
            .account(user.account_id)
            .actor(user.id)
            .subject(format!("user {}", user.id))
            .ip(ip)
            .details(format!("passkey {} ({})", created.id, created.name)),
    )
    .await?;
    if let Some(email) = user.email.as_deref() {
        let body = format!(
            "A passkey named \"{}\" was added to your Outcomes user \"{}\". It signs you in without a password.\n\nIf this was not you, tell your account owner at once.\n",
            created.name, user.login
        );
        notify::email(
            state,
            user.account_id,
            email,
            "Outcomes: a passkey was added",
            &body,
        )
        .await?;
    }
    Ok(created)
}

/// Renames one of the person's passkeys; another's is "not found".
pub async fn rename(
    state: &AppState,
    user: &user::Model,
    id: i32,
    name: &PasskeyName,
) -> Result<(), AppError> {
    let updated = passkey::Entity::update_many()
        .col_expr(passkey::Column::Name, Expr::value(name.as_str()))
        .filter(passkey::Column::Id.eq(id))
        .filter(passkey::Column::UserId.eq(user.id))
        .exec(&state.db)
        .await?;
    if updated.rows_affected == 1 {
        Ok(())
    } else {
        Err(AppError::NotFound)
    }
}

/// Removes one of the person's passkeys (audited, e-mailed); another's is "not found".
pub async fn remove(
    state: &AppState,
    user: &user::Model,
    id: i32,
    ip: Option<String>,
) -> Result<(), AppError> {
    let found = passkey::Entity::find_by_id(id)
        .filter(passkey::Column::UserId.eq(user.id))
        .one(&state.db)
        .await?
        .ok_or(AppError::NotFound)?;
    passkey::Entity::delete_by_id(found.id).exec(&state.db).await?;
    audit::record(
        &state.db,
        state.now(),
        Event::new("passkey.removed", "success")
            .account(user.account_id)
            .actor(user.id)
            .subject(format!("user {}", user.id))
            .ip(ip)
            .details(format!("passkey {} ({})", found.id, found.name)),
    )
    .await?;
    if let Some(email) = user.email.as_deref() {
        let body = format!(
            "The passkey named \"{}\" was removed from your Outcomes user \"{}\".\n\nIf this was not you, tell your account owner at once.\n",
            found.name, user.login
        );
        notify::email(
            state,
            user.account_id,
            email,
            "Outcomes: a passkey was removed",
            &body,
        )
        .await?;
    }
    Ok(())
}

/// Request options for signing in with a passkey alone: no user is known yet, the browser
/// offers the person's passkeys for this site. `conditional`: for the user ID field's autofill.
pub async fn start_sign_in(state: &AppState, conditional: bool) -> Result<Value, AppError> {
    let party = relying_party_of(state)?;
    let (mut options, ceremony) = party
        .start_discoverable_authentication()
        .map_err(|e| AppError::Internal(format!("passkey sign-in: {e}")))?;
    if !conditional {
        options.mediation = None;
    }
    let options = serde_json::to_value(&options).map_err(|e| AppError::Internal(e.to_string()))?;
    store_ceremony(state, SIGN_IN, None, &options, json(&ceremony)?).await?;
    Ok(options)
}

/// Request options for a passkey as the second step of `user`'s sign-in (or a step-up).
pub async fn start_second_step(state: &AppState, user: &user::Model) -> Result<Value, AppError> {
    let party = relying_party_of(state)?;
    let passkeys = list(&state.db, user.id)
        .await?
        .iter()
        .map(stored)
        .collect::<Result<Vec<_>, _>>()?;
    if passkeys.is_empty() {
        return Err(AppError::BadRequest("You have no passkey yet.".into()));
    }
    let (options, ceremony) = party
        .start_passkey_authentication(&passkeys)
        .map_err(|e| AppError::Internal(format!("passkey second step: {e}")))?;
    let options = serde_json::to_value(&options).map_err(|e| AppError::Internal(e.to_string()))?;
    store_ceremony(state, SECOND_STEP, Some(user.id), &options, json(&ceremony)?).await?;
    Ok(options)
}

/// How a passkey assertion fared.
pub enum Assertion {
    /// A good signature by a passkey of this person.
    Accepted(Box<user::Model>, Box<account::Model>),
    Refused,
}

/// Checks a sign-in with a passkey alone. A counter going backwards is refused and audited as
/// a clone signal.
pub async fn finish_sign_in(
    state: &AppState,
    credential: &Value,
    ip: Option<String>,
) -> Result<Assertion, AppError> {
    let party = relying_party_of(state)?;
    let Some(ceremony) = take_ceremony(state, SIGN_IN, None, credential).await? else {
        return Ok(Assertion::Refused);
    };
    let ceremony: DiscoverableAuthentication =
        serde_json::from_str(&ceremony).map_err(|e| AppError::Internal(e.to_string()))?;
    let Ok(response) = serde_json::from_value::<PublicKeyCredential>(credential.clone()) else {
        return Ok(Assertion::Refused);
    };
    let Ok((handle, cred_id)) = party.identify_discoverable_authentication(&response) else {
        return Ok(Assertion::Refused);
    };
    let Some((row, Some(person))) = passkey::Entity::find()
        .filter(passkey::Column::CredId.eq(URL_SAFE_NO_PAD.encode(cred_id)))
        .find_also_related(user::Entity)
        .one(&state.db)
        .await?
    else {
        return Ok(Assertion::Refused);
    };
    // SECURITY: the credential must belong to the person its user handle names.
    if person.webauthn_id.as_deref() != Some(handle.to_string().as_str()) {
        return Ok(Assertion::Refused);
    }
    let result = party.finish_discoverable_authentication_v2(&response, ceremony, &stored(&row)?);
    if !checked(state, &person, &row, result, ip).await? {
        return Ok(Assertion::Refused);
    }
    let Some(practice) = account::Entity::find_by_id(person.account_id)
        .one(&state.db)
        .await?
    else {
        return Ok(Assertion::Refused);
    };
    if !person.active || !practice.active {
        return Ok(Assertion::Refused);
    }
    Ok(Assertion::Accepted(Box::new(person), Box::new(practice)))
}

/// Checks a passkey given as `user`'s second step (the assertion's JSON as submitted).
pub async fn check_second_step(
    state: &AppState,
    user: &user::Model,
    submitted: &str,
    ip: Option<String>,
) -> Result<bool, AppError> {
    let party = relying_party_of(state)?;
    let Ok(credential) = serde_json::from_str::<Value>(submitted) else {
        return Ok(false);
    };
    let Some(ceremony) = take_ceremony(state, SECOND_STEP, Some(user.id), &credential).await? else {
        return Ok(false);
    };
    let ceremony: PasskeyAuthentication =
        serde_json::from_str(&ceremony).map_err(|e| AppError::Internal(e.to_string()))?;
    let Ok(response) = serde_json::from_value::<PublicKeyCredential>(credential) else {
        return Ok(false);
    };
    let Some(row) = passkey::Entity::find()
        .filter(passkey::Column::CredId.eq(URL_SAFE_NO_PAD.encode(response.raw_id.as_slice())))
        .filter(passkey::Column::UserId.eq(user.id))
        .one(&state.db)
        .await?
    else {
        return Ok(false);
    };
    let result = party.finish_passkey_authentication(&response, &ceremony);
    checked(state, user, &row, result, ip).await
}

/// Applies webauthn-rs's verdict: on success the stored counter moves on and the passkey is
/// marked used; a counter that went backwards revokes nothing by itself but is refused and
/// audited as a clone signal.
async fn checked(
    state: &AppState,
    user: &user::Model,
    row: &passkey::Model,
    result: Result<webauthn_rs::prelude::AuthenticationResult, WebauthnError>,
    ip: Option<String>,
) -> Result<bool, AppError> {
    let now = state.now();
    match result {
        Ok(outcome) => {
            let mut credential = stored(row)?;
            let mut update = passkey::Entity::update_many()
                .col_expr(passkey::Column::LastUsedAt, Expr::value(now))
                .filter(passkey::Column::Id.eq(row.id));
            if credential.update_credential(&outcome) == Some(true) {
                update = update.col_expr(passkey::Column::PasskeyJson, Expr::value(json(&credential)?));
            }
            update.exec(&state.db).await?;
            Ok(true)
        }
        Err(WebauthnError::CredentialPossibleCompromise) => {
            // SECURITY: a counter that went backwards means a copy of the key may be in use.
            audit::record(
                &state.db,
                now,
                Event::new("passkey.clone_signal", "failure")
                    .account(user.account_id)
                    .actor(user.id)
                    .subject(format!("user {}", user.id))
                    .ip(ip)
                    .details(format!(
                        "passkey {} ({}): signature counter went backwards; sign-in refused",
                        row.id, row.name
                    )),
            )
            .await?;
            Ok(false)
        }
        Err(_) => Ok(false),
    }
}
