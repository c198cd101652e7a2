//! Adding, renaming and removing a person's passkeys (each change audited and e-mailed).

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, Set};
use serde_json::Value;
use webauthn_rs::prelude::{PasskeyRegistration, RegisterPublicKeyCredential};

use entities::{passkey, user};

use super::{
    REGISTER, json, list, refused, relying_party_of, store_ceremony, stored, take_ceremony, webauthn_id,
};
use crate::domain::PasskeyName;
use crate::error::AppError;
use crate::services::audit::{self, Event};
use crate::services::notify;
use crate::state::AppState;

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
