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
use webauthn_rs::prelude::{Passkey, Uuid, Webauthn, WebauthnBuilder};

use entities::{passkey, user, webauthn_ceremony};

use crate::error::AppError;
use crate::state::AppState;

mod assertion;
mod register;

pub use assertion::{Assertion, check_second_step, finish_sign_in, start_second_step, start_sign_in};
pub use register::{finish_registration, remove, rename, start_registration};

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
