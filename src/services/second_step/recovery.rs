//! Recovery codes: ten single-use codes shown once, kept as argon2 hashes with a short keyed tag
//! so that one try costs one argon2 verify.

use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set, TransactionTrait};

use entities::{recovery_code, user};

use crate::auth::password::UNAMBIGUOUS;
use crate::auth::tokens::{hmac_hex, random_below};
use crate::error::AppError;
use crate::services::audit::{self, Event};
use crate::services::notify;
use crate::state::AppState;

pub const RECOVERY_CODE_COUNT: usize = 10;

/// A 16-bit keyed tag of a recovery code, stored beside its hash so that a try runs argon2
/// against one stored code, not all ten (otherwise each try would cost ten verifies).
fn recovery_tag(state: &AppState, normalized: &str) -> String {
    hmac_hex(&state.keys.code_hmac, &format!("recovery:{normalized}"))[..4].to_string()
}

/// Ten codes like `k7m2q-x9hwp` (10 symbols from a 31-letter alphabet, ~49 bits each) and
/// their (tag, argon2 hash).
pub(super) async fn new_set(state: &AppState) -> Result<(Vec<String>, Vec<(String, String)>), AppError> {
    let codes: Vec<String> = (0..RECOVERY_CODE_COUNT)
        .map(|_| {
            let symbols: String = (0..10)
                .map(|_| UNAMBIGUOUS[random_below(UNAMBIGUOUS.len() as u32) as usize] as char)
                .collect();
            format!("{}-{}", &symbols[..5], &symbols[5..])
        })
        .collect();
    let normalized: Vec<String> = codes.iter().map(|c| normalize_recovery(c)).collect();
    let tags = normalized
        .iter()
        .map(|c| recovery_tag(state, c))
        .collect::<Vec<_>>();
    let hashes = state.hasher.hash_secrets(normalized).await?;
    Ok((codes, tags.into_iter().zip(hashes).collect()))
}

pub(super) async fn store_set(
    db: &impl ConnectionTrait,
    user: &user::Model,
    hashes: Vec<(String, String)>,
    now: i64,
) -> Result<(), AppError> {
    recovery_code::Entity::delete_many()
        .filter(recovery_code::Column::UserId.eq(user.id))
        .exec(db)
        .await?;
    let rows = hashes.into_iter().map(|(tag, hash)| recovery_code::ActiveModel {
        user_id: Set(user.id),
        account_id: Set(user.account_id),
        code_tag: Set(tag),
        code_hash: Set(hash),
        created_at: Set(now),
        ..Default::default()
    });
    recovery_code::Entity::insert_many(rows).exec(db).await?;
    Ok(())
}

/// Makes a new set of recovery codes; the old set stops working.
pub async fn replace_codes(
    state: &AppState,
    user: &user::Model,
    ip: Option<String>,
) -> Result<Vec<String>, AppError> {
    let (codes, hashes) = new_set(state).await?;
    let now = state.now();
    let txn = state.db.begin().await?;
    store_set(&txn, user, hashes, now).await?;
    audit::record(
        &txn,
        now,
        Event::new("recovery_codes.replaced", "success")
            .account(user.account_id)
            .actor(user.id)
            .subject(format!("user {}", user.id))
            .ip(ip),
    )
    .await?;
    txn.commit().await?;
    Ok(codes)
}

/// Lower case without spaces or dashes, as typed from a printout.
fn normalize_recovery(submitted: &str) -> String {
    submitted
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_lowercase())
        .take(64)
        .collect()
}

/// Uses one recovery code: marked used in one atomic UPDATE, so it works once. Returns how many
/// are left, for the e-mail the caller sends once the sign-in went through.
pub async fn use_code(
    state: &AppState,
    user: &user::Model,
    submitted: &str,
) -> Result<Option<u64>, AppError> {
    let code = normalize_recovery(submitted);
    if code.len() != 10 {
        return Ok(None);
    }
    let candidates = recovery_code::Entity::find()
        .filter(recovery_code::Column::UserId.eq(user.id))
        .filter(recovery_code::Column::CodeTag.eq(recovery_tag(state, &code)))
        .filter(recovery_code::Column::UsedAt.is_null())
        .order_by_asc(recovery_code::Column::Id)
        .all(&state.db)
        .await?;
    let hashes = candidates.iter().map(|r| r.code_hash.clone()).collect();
    let Some(index) = state.hasher.find_match(code, hashes).await? else {
        return Ok(None);
    };
    let now = state.now();
    let used = recovery_code::Entity::update_many()
        .col_expr(recovery_code::Column::UsedAt, Expr::value(now))
        .filter(recovery_code::Column::Id.eq(candidates[index].id))
        .filter(recovery_code::Column::UsedAt.is_null())
        .exec(&state.db)
        .await?;
    if used.rows_affected != 1 {
        return Ok(None);
    }
    Ok(Some(super::status(&state.db, user.id).await?.recovery_left))
}

/// Tells the person a recovery code was used: it may mean a lost phone, or someone else.
pub async fn email_code_used(state: &AppState, user: &user::Model, left: u64) -> Result<(), AppError> {
    if let Some(email) = user.email.as_deref() {
        let body = format!(
            "A recovery code was just used to sign in to Outcomes as \"{}\". You have {left} recovery codes left.\n\nIf this was not you, tell your account owner at once: someone may know your password.\nIf you lost your phone, add your authenticator app again from the Security page and make new recovery codes.\n",
            user.login
        );
        notify::email(
            state,
            user.account_id,
            email,
            "Outcomes: a recovery code was used to sign in",
            &body,
        )
        .await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recovery_codes_are_typed_loosely() {
        assert_eq!(normalize_recovery(" K7M2Q-x9hwp "), "k7m2qx9hwp");
    }
}
