//! Using a passkey: to sign in alone (discoverable) or as the second step, and the clone signal.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::Value;
use webauthn_rs::prelude::{
    DiscoverableAuthentication, PasskeyAuthentication, PublicKeyCredential, WebauthnError,
};

use entities::{account, passkey, user};

use super::{SECOND_STEP, SIGN_IN, json, list, relying_party_of, store_ceremony, stored, take_ceremony};
use crate::error::AppError;
use crate::services::audit::{self, Event};
use crate::state::AppState;

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
