//! Single sign-on with the practice's OpenID provider (SPEC §2.3): the owner's settings (the
//! discovery document is checked before anything is saved), the links between staff and their
//! identity there, and the sign-in flows (`flow`). The OpenID Connect exchange itself is `oidc`.

pub mod flow;
pub mod oidc;

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{ChaCha20Poly1305, Key, Nonce};
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, Set};

use entities::{account, sso_identity, sso_settings, user};

use crate::auth::RequestMeta;
use crate::auth::guards::SignedIn;
use crate::auth::tokens::random_bytes;
use crate::domain::sso::{IssuerUrl, PracticeName, SsoMode};
use crate::domain::{FieldError, Role};
use crate::error::AppError;
use crate::services::audit::{self, Event};
use crate::state::AppState;

/// The path every provider sends people back to (`<public_url>/login/sso/callback`).
pub const CALLBACK_PATH: &str = "/login/sso/callback";

pub fn redirect_uri(state: &AppState) -> String {
    format!(
        "{}{CALLBACK_PATH}",
        state.settings.public_url.as_str().trim_end_matches('/')
    )
}

/// The practice's sign-in link, `<public_url>/sso/<practice>`.
pub fn practice_link(state: &AppState, practice: &str) -> String {
    format!(
        "{}/sso/{practice}",
        state.settings.public_url.as_str().trim_end_matches('/')
    )
}

/// What the owner typed in the *Single sign-on* section, parsed.
pub struct SsoInput {
    pub practice: PracticeName,
    /// `None` when the field was left blank (allowed only with the mode off).
    pub issuer: Option<IssuerUrl>,
    pub client_id: String,
    /// `None`: keep the stored secret (the field is write-only).
    pub client_secret: Option<String>,
    pub mode: SsoMode,
    pub second_step: bool,
    pub link_by_email: bool,
}

pub async fn settings_of(state: &AppState, account_id: i32) -> Result<Option<sso_settings::Model>, AppError> {
    Ok(sso_settings::Entity::find()
        .filter(sso_settings::Column::AccountId.eq(account_id))
        .one(&state.db)
        .await?)
}

/// Saves the owner's settings. With a provider named, its discovery document and keys must load
/// first; otherwise nothing is saved and the reason is given on the issuer field.
pub async fn save(
    state: &AppState,
    owner: &SignedIn,
    input: SsoInput,
    meta: &RequestMeta,
) -> Result<(), AppError> {
    let mut errors = Vec::new();
    let taken = sso_settings::Entity::find()
        .filter(sso_settings::Column::Practice.eq(input.practice.as_str()))
        .filter(sso_settings::Column::AccountId.ne(owner.account.id))
        .one(&state.db)
        .await?;
    if taken.is_some() {
        errors.push(FieldError::new(
            "practice",
            "Another practice uses this name. Choose another.",
        ));
    }
    let client_id = input.client_id.trim().to_string();
    if input.mode != SsoMode::Off {
        if input.issuer.is_none() {
            errors.push(FieldError::new("sso_issuer", "Enter the issuer's URL."));
        }
        if client_id.is_empty() {
            errors.push(FieldError::new(
                "sso_client_id",
                "Enter the client ID the provider gave you.",
            ));
        }
    }
    if client_id.len() > 300 {
        errors.push(FieldError::new("sso_client_id", "At most 300 characters."));
    }
    if input.client_secret.as_ref().is_some_and(|s| s.len() > 500) {
        errors.push(FieldError::new("sso_client_secret", "At most 500 characters."));
    }
    if errors.is_empty()
        && let Some(issuer) = &input.issuer
        && let Err(error) = oidc::discover(&state.http, issuer.as_str()).await
    {
        let why = match error {
            oidc::OidcError::Unreachable(why)
            | oidc::OidcError::Refused(why)
            | oidc::OidcError::Invalid(why) => why,
        };
        errors.push(FieldError::new(
            "sso_issuer",
            format!("The provider's discovery document could not be read: {why}"),
        ));
    }
    if !errors.is_empty() {
        return Err(AppError::Invalid(errors));
    }
    let now = state.now();
    let current = settings_of(state, owner.account.id).await?;
    let sealed = match input
        .client_secret
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        Some(secret) => Some(seal(state, owner.account.id, secret)?),
        None => current.as_ref().and_then(|c| c.client_secret_sealed.clone()),
    };
    let issuer = input
        .issuer
        .as_ref()
        .map(|i| i.as_str().to_string())
        .unwrap_or_default();
    let mut row = match current {
        Some(model) => sso_settings::ActiveModel::from(model),
        None => sso_settings::ActiveModel {
            account_id: Set(owner.account.id),
            ..Default::default()
        },
    };
    row.practice = Set(input.practice.as_str().to_string());
    row.issuer = Set(issuer.clone());
    row.client_id = Set(client_id);
    row.client_secret_sealed = Set(sealed);
    row.mode = Set(input.mode.as_str().to_string());
    row.second_step = Set(input.second_step);
    row.link_by_email = Set(input.link_by_email);
    row.updated_at = Set(now);
    row.save(&state.db).await.map_err(|e| match e.sql_err() {
        // Another practice took the name a moment ago.
        Some(sea_orm::SqlErr::UniqueConstraintViolation(_)) => AppError::Invalid(vec![FieldError::new(
            "practice",
            "Another practice uses this name. Choose another.",
        )]),
        _ => AppError::from(e),
    })?;
    audit::record(
        &state.db,
        now,
        Event::new("options.sso_changed", "success")
            .account(owner.account.id)
            .actor(owner.user.id)
            .ip(meta.ip.clone())
            .details(format!(
                "mode {}, issuer {issuer}, practice {}, second step {}, link by e-mail {}",
                input.mode.as_str(),
                input.practice.as_str(),
                if input.second_step { "on" } else { "off" },
                if input.link_by_email { "on" } else { "off" },
            )),
    )
    .await
}

fn cipher(state: &AppState) -> ChaCha20Poly1305 {
    ChaCha20Poly1305::new(Key::from_slice(&state.keys.totp_seal))
}

/// SECURITY: the client secret is sealed (ChaCha20-Poly1305) with the practice bound in, so a
/// sealed secret copied to another practice's row does not open.
fn seal(state: &AppState, account_id: i32, secret: &str) -> Result<String, AppError> {
    let nonce = random_bytes::<12>();
    let aad = format!("sso-client-secret:{account_id}");
    let sealed = cipher(state)
        .encrypt(
            Nonce::from_slice(&nonce),
            Payload {
                msg: secret.as_bytes(),
                aad: aad.as_bytes(),
            },
        )
        .map_err(|_| AppError::Internal("sealing the client secret failed".into()))?;
    Ok(BASE64.encode([nonce.as_slice(), &sealed].concat()))
}

fn open(state: &AppState, settings: &sso_settings::Model) -> Result<Option<String>, AppError> {
    let Some(sealed) = &settings.client_secret_sealed else {
        return Ok(None);
    };
    let bytes = BASE64
        .decode(sealed)
        .map_err(|_| AppError::Internal("sealed client secret is not base64".into()))?;
    if bytes.len() < 12 {
        return Err(AppError::Internal("sealed client secret too short".into()));
    }
    let (nonce, sealed) = bytes.split_at(12);
    let aad = format!("sso-client-secret:{}", settings.account_id);
    let plain = cipher(state)
        .decrypt(
            Nonce::from_slice(nonce),
            Payload {
                msg: sealed,
                aad: aad.as_bytes(),
            },
        )
        .map_err(|_| AppError::Internal("the client secret did not open (secret key changed?)".into()))?;
    String::from_utf8(plain)
        .map(Some)
        .map_err(|_| AppError::Internal("the client secret is not text".into()))
}

/// The provider of a practice, as `oidc` calls it.
fn provider<'a>(state: &AppState, settings: &'a sso_settings::Model) -> Result<oidc::Provider<'a>, AppError> {
    Ok(oidc::Provider {
        issuer: &settings.issuer,
        client_id: &settings.client_id,
        client_secret: open(state, settings)?,
        redirect_uri: redirect_uri(state),
    })
}

/// Whether this person must sign in through the practice's provider rather than with a
/// password: staff (never the owner, who keeps the password as break-glass) linked to an
/// identity in a practice whose mode is `required`. Returns the practice's link to point to.
pub async fn password_refused(
    state: &AppState,
    user: &user::Model,
    account: &account::Model,
) -> Result<Option<String>, AppError> {
    if user.role == Role::Owner || user.role == Role::Client {
        return Ok(None);
    }
    let Some(settings) = settings_of(state, account.id).await? else {
        return Ok(None);
    };
    if SsoMode::from_stored(&settings.mode) != SsoMode::Required {
        return Ok(None);
    }
    let linked = sso_identity::Entity::find()
        .filter(sso_identity::Column::UserId.eq(user.id))
        .one(&state.db)
        .await?
        .is_some();
    Ok(linked.then(|| practice_link(state, &settings.practice)))
}

/// What `/security` shows a staff member about single sign-on (`None`: the practice has none).
pub struct LinkStatus {
    pub linked_since: Option<i64>,
    pub practice_link: String,
    pub required: bool,
}

pub async fn link_status(state: &AppState, signed: &SignedIn) -> Result<Option<LinkStatus>, AppError> {
    if signed.user.role == Role::Client {
        return Ok(None);
    }
    let Some(settings) = settings_of(state, signed.account.id).await? else {
        return Ok(None);
    };
    let mode = SsoMode::from_stored(&settings.mode);
    if mode == SsoMode::Off {
        return Ok(None);
    }
    let identity = sso_identity::Entity::find()
        .filter(sso_identity::Column::UserId.eq(signed.user.id))
        .one(&state.db)
        .await?;
    Ok(Some(LinkStatus {
        linked_since: identity.map(|i| i.created_at),
        practice_link: practice_link(state, &settings.practice),
        required: mode == SsoMode::Required,
    }))
}

/// Removes one's own link (audited). The owner of a `required` practice may still sign in with
/// a password; other staff then use the password until they link again.
pub async fn unlink(state: &AppState, signed: &SignedIn, meta: &RequestMeta) -> Result<(), AppError> {
    let removed = sso_identity::Entity::delete_many()
        .filter(sso_identity::Column::UserId.eq(signed.user.id))
        .exec(&state.db)
        .await?;
    if removed.rows_affected > 0 {
        audit::record(
            &state.db,
            state.now(),
            Event::new("sso.unlinked", "success")
                .account(signed.account.id)
                .actor(signed.user.id)
                .subject(format!("user {}", signed.user.id))
                .ip(meta.ip.clone()),
        )
        .await?;
    }
    Ok(())
}

/// Links `user` to (`iss`, `sub`), replacing an earlier link of theirs. `false` when that
/// identity is already linked to someone else in the practice.
async fn link(
    state: &AppState,
    user: &user::Model,
    identity: &oidc::Identity,
    how: &str,
    meta: &RequestMeta,
) -> Result<bool, AppError> {
    let existing = sso_identity::Entity::find()
        .filter(sso_identity::Column::AccountId.eq(user.account_id))
        .filter(sso_identity::Column::Issuer.eq(identity.issuer.as_str()))
        .filter(sso_identity::Column::Subject.eq(identity.subject.as_str()))
        .one(&state.db)
        .await?;
    match existing {
        Some(row) if row.user_id == user.id => return Ok(true),
        Some(_) => return Ok(false),
        None => {}
    }
    let now = state.now();
    sso_identity::Entity::delete_many()
        .filter(sso_identity::Column::UserId.eq(user.id))
        .exec(&state.db)
        .await?;
    let inserted = sso_identity::ActiveModel {
        user_id: Set(user.id),
        account_id: Set(user.account_id),
        issuer: Set(identity.issuer.clone()),
        subject: Set(identity.subject.clone()),
        created_at: Set(now),
        last_used_at: Set(None),
        ..Default::default()
    }
    .insert(&state.db)
    .await;
    if let Err(error) = inserted {
        // The unique index: someone else linked the same identity a moment ago.
        log::warn!("sso link not inserted: {error}");
        return Ok(false);
    }
    audit::record(
        &state.db,
        now,
        Event::new("sso.linked", "success")
            .account(user.account_id)
            .actor(user.id)
            .subject(format!("user {}", user.id))
            .ip(meta.ip.clone())
            .details(how.to_string()),
    )
    .await?;
    Ok(true)
}
