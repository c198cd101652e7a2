//! Authenticator apps (TOTP, RFC 6238: SHA-1, 6 digits, 30 s, ±1 step): setting one up with a
//! sealed secret, confirming it with its first code, and accepting each code once.

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{ChaCha20Poly1305, Key, Nonce};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set,
    TransactionTrait,
};
use totp_rs::{Algorithm, Builder, Totp};

use entities::{authenticator, user};

use super::recovery;
use crate::auth::tokens::random_bytes;
use crate::error::AppError;
use crate::services::audit::{self, Event};
use crate::services::notify;
use crate::state::AppState;

pub const STEP_SECONDS: u64 = 30;
/// A set-up not confirmed within this time is void: its secret was on screen, and starting
/// again asks for the password again.
pub const SETUP_SECONDS: i64 = 10 * 60;
const ISSUER: &str = "Outcomes";

fn totp(secret: Vec<u8>, account_name: &str) -> Result<Totp, AppError> {
    Builder::new()
        .with_algorithm(Algorithm::SHA1)
        .with_digits(6)
        .with_skew(1)
        .with_step_duration(STEP_SECONDS)
        .with_secret(secret)
        .with_issuer(Some(ISSUER))
        .with_account_name(account_name)
        .build()
        .map_err(|e| AppError::Internal(format!("totp: {e:?}")))
}

/// The secret sealed under the derived key; the user's id is bound in, so a sealed secret
/// copied onto another person's row does not open.
fn seal(state: &AppState, user_id: i32, secret: &[u8]) -> Result<String, AppError> {
    let cipher = ChaCha20Poly1305::new(Key::from_slice(&state.keys.totp_seal));
    let nonce = random_bytes::<12>();
    let aad = format!("user:{user_id}");
    let sealed = cipher
        .encrypt(
            Nonce::from_slice(&nonce),
            Payload {
                msg: secret,
                aad: aad.as_bytes(),
            },
        )
        .map_err(|_| AppError::Internal("sealing a secret failed".into()))?;
    Ok(BASE64.encode([nonce.as_slice(), &sealed].concat()))
}

fn open(state: &AppState, model: &authenticator::Model) -> Result<Vec<u8>, AppError> {
    let bytes = BASE64
        .decode(&model.secret_sealed)
        .map_err(|_| AppError::Internal("sealed secret is not base64".into()))?;
    if bytes.len() < 12 {
        return Err(AppError::Internal("sealed secret too short".into()));
    }
    let (nonce, sealed) = bytes.split_at(12);
    let cipher = ChaCha20Poly1305::new(Key::from_slice(&state.keys.totp_seal));
    let aad = format!("user:{}", model.user_id);
    cipher
        .decrypt(
            Nonce::from_slice(nonce),
            Payload {
                msg: sealed,
                aad: aad.as_bytes(),
            },
        )
        .map_err(|_| AppError::Internal("an authenticator secret did not open (secret key changed?)".into()))
}

/// The person's working authenticator app, if any.
pub async fn confirmed(
    db: &impl ConnectionTrait,
    user_id: i32,
) -> Result<Option<authenticator::Model>, AppError> {
    Ok(authenticator::Entity::find()
        .filter(authenticator::Column::UserId.eq(user_id))
        .filter(authenticator::Column::ConfirmedAt.is_not_null())
        .order_by_desc(authenticator::Column::Id)
        .one(db)
        .await?)
}

/// An app being set up: its first code not entered yet.
pub async fn unconfirmed(state: &AppState, user_id: i32) -> Result<Option<authenticator::Model>, AppError> {
    Ok(authenticator::Entity::find()
        .filter(authenticator::Column::UserId.eq(user_id))
        .filter(authenticator::Column::ConfirmedAt.is_null())
        .filter(authenticator::Column::CreatedAt.gt(state.now() - SETUP_SECONDS))
        .order_by_desc(authenticator::Column::Id)
        .one(&state.db)
        .await?)
}

/// Starts setting up an app with a fresh secret; an earlier unfinished set-up is dropped.
/// A working app stays in use until the new one is confirmed.
pub async fn start_setup(state: &AppState, user: &user::Model) -> Result<authenticator::Model, AppError> {
    authenticator::Entity::delete_many()
        .filter(authenticator::Column::UserId.eq(user.id))
        .filter(authenticator::Column::ConfirmedAt.is_null())
        .exec(&state.db)
        .await?;
    // 160 bits, the size RFC 4226 recommends for HMAC-SHA-1.
    let secret = random_bytes::<20>();
    Ok(authenticator::ActiveModel {
        user_id: Set(user.id),
        account_id: Set(user.account_id),
        secret_sealed: Set(seal(state, user.id, &secret)?),
        created_at: Set(state.now()),
        ..Default::default()
    }
    .insert(&state.db)
    .await?)
}

/// The unfinished set-up, or a new one (also when the old one no longer opens).
pub async fn setup_in_progress(
    state: &AppState,
    user: &user::Model,
) -> Result<authenticator::Model, AppError> {
    match unconfirmed(state, user.id).await? {
        Some(found) if open(state, &found).is_ok() => Ok(found),
        _ => start_setup(state, user).await,
    }
}

/// What the set-up page shows: the QR code (SVG) and the same secret as text.
pub struct SetupView {
    pub secret_text: String,
    pub otpauth_url: String,
    pub qr_svg: String,
}

pub fn setup_view(
    state: &AppState,
    user: &user::Model,
    model: &authenticator::Model,
) -> Result<SetupView, AppError> {
    let totp = totp(open(state, model)?, &user.login)?;
    let otpauth_url = totp
        .to_url()
        .map_err(|e| AppError::Internal(format!("otpauth url: {e:?}")))?;
    let qr = qrcode::QrCode::with_error_correction_level(otpauth_url.as_bytes(), qrcode::EcLevel::M)
        .map_err(|e| AppError::Internal(format!("qr: {e}")))?;
    let svg = qr
        .render::<qrcode::render::svg::Color<'_>>()
        .min_dimensions(220, 220)
        .quiet_zone(true)
        .build();
    // Inline in the page: drop the XML prolog, which HTML does not want.
    let qr_svg = svg
        .find("<svg")
        .map_or(svg.clone(), |start| svg[start..].to_string());
    let base32 = totp.secret().to_base32();
    let secret_text = base32
        .as_bytes()
        .chunks(4)
        .map(|c| String::from_utf8_lossy(c).into_owned())
        .collect::<Vec<_>>()
        .join(" ");
    Ok(SetupView {
        secret_text,
        otpauth_url,
        qr_svg,
    })
}

/// How a submitted app code fared.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AppCode {
    Accepted,
    Wrong,
    /// Right code, but its time step was already used: each code works once.
    Reused,
}

fn normalized_code(submitted: &str) -> Option<String> {
    let digits: String = submitted
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .collect();
    (digits.len() == 6 && digits.bytes().all(|b| b.is_ascii_digit())).then_some(digits)
}

/// The time step (within ±1 of now) whose code `submitted` is.
fn matching_step(
    state: &AppState,
    user: &user::Model,
    model: &authenticator::Model,
    submitted: &str,
) -> Result<Option<i64>, AppError> {
    let Some(code) = normalized_code(submitted) else {
        return Ok(None);
    };
    let secret = match open(state, model) {
        Ok(secret) => secret,
        Err(error) => {
            // The secret key changed since the app was added: the code cannot be checked, and
            // the person needs a reset. Refuse like a wrong code rather than fail the request.
            log::error!("authenticator {} of user {}: {error}", model.id, user.id);
            return Ok(None);
        }
    };
    let totp = totp(secret, &user.login)?;
    let now = u64::try_from(state.now()).unwrap_or_default();
    Ok(totp.check(&code, now).and_then(|step| i64::try_from(step).ok()))
}

/// Checks a code from the person's app. Accepting moves `last_used_step` forward in one atomic
/// UPDATE, so a code (or an older one) is never accepted twice, even by two requests at once.
pub async fn check_code(
    state: &AppState,
    user: &user::Model,
    model: &authenticator::Model,
    submitted: &str,
) -> Result<AppCode, AppError> {
    let Some(step) = matching_step(state, user, model, submitted)? else {
        return Ok(AppCode::Wrong);
    };
    let claimed = authenticator::Entity::update_many()
        .col_expr(authenticator::Column::LastUsedStep, Expr::value(step))
        .filter(authenticator::Column::Id.eq(model.id))
        .filter(
            Condition::any()
                .add(authenticator::Column::LastUsedStep.is_null())
                .add(authenticator::Column::LastUsedStep.lt(step)),
        )
        .exec(&state.db)
        .await?;
    Ok(if claimed.rows_affected == 1 {
        AppCode::Accepted
    } else {
        AppCode::Reused
    })
}

/// Confirms a set-up with its first code: the new app replaces any earlier one, and a new set
/// of recovery codes (returned, shown once) replaces any earlier set.
pub async fn confirm_setup(
    state: &AppState,
    user: &user::Model,
    submitted: &str,
    ip: Option<String>,
) -> Result<Option<Vec<String>>, AppError> {
    let Some(model) = unconfirmed(state, user.id).await? else {
        return Err(AppError::BadRequest(
            "There is no authenticator set-up in progress. Start again from the Security page.".into(),
        ));
    };
    let Some(step) = matching_step(state, user, &model, submitted)? else {
        return Ok(None);
    };
    let (codes, hashes) = recovery::new_set(state).await?;
    let now = state.now();
    let txn = state.db.begin().await?;
    let replaced = authenticator::Entity::delete_many()
        .filter(authenticator::Column::UserId.eq(user.id))
        .filter(authenticator::Column::Id.ne(model.id))
        .exec(&txn)
        .await?;
    let confirmed = authenticator::Entity::update_many()
        .col_expr(authenticator::Column::ConfirmedAt, Expr::value(now))
        .col_expr(authenticator::Column::LastUsedStep, Expr::value(step))
        .filter(authenticator::Column::Id.eq(model.id))
        .filter(authenticator::Column::ConfirmedAt.is_null())
        .exec(&txn)
        .await?;
    if confirmed.rows_affected != 1 {
        // Another request confirmed it first.
        return Err(AppError::BadRequest(
            "This authenticator was already confirmed. Open the Security page to see it.".into(),
        ));
    }
    recovery::store_set(&txn, user, hashes, now).await?;
    audit::record(
        &txn,
        now,
        Event::new("authenticator.added", "success")
            .account(user.account_id)
            .actor(user.id)
            .subject(format!("user {}", user.id))
            .ip(ip)
            .details(if replaced.rows_affected > 0 {
                "replaced the earlier app; new recovery codes"
            } else {
                "new recovery codes"
            }),
    )
    .await?;
    txn.commit().await?;
    if let Some(email) = user.email.as_deref() {
        let body = format!(
            "An authenticator app was {} for your Outcomes user \"{}\", with a new set of recovery codes.\n\nIf this was not you, tell your account owner at once: someone may know your password.\n",
            if replaced.rows_affected > 0 {
                "set up in place of your earlier one"
            } else {
                "set up"
            },
            user.login
        );
        notify::email(
            state,
            user.account_id,
            email,
            "Outcomes: an authenticator app was set up",
            &body,
        )
        .await?;
    }
    Ok(Some(codes))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc_6238_sha1_vectors_at_six_digits() {
        // RFC 6238 appendix B, SHA-1 secret "12345678901234567890"; 6 digits are the last 6 of 8.
        let totp = totp(b"12345678901234567890".to_vec(), "test").expect("valid");
        assert_eq!(totp.generate(59).to_string(), "287082");
        assert_eq!(totp.generate(1_111_111_109).to_string(), "081804");
        assert_eq!(totp.generate(2_000_000_000).to_string(), "279037");
    }

    #[test]
    fn app_codes_are_typed_loosely() {
        assert_eq!(normalized_code("123 456").as_deref(), Some("123456"));
        assert_eq!(normalized_code("12345"), None);
    }
}
