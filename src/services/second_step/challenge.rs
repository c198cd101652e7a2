//! One challenge per pending sign-in: opened with or without a text, its 5 tries shared by every
//! method, consumed once, and the lock after 20 failures in a row. Claiming a try and consuming
//! the challenge are single atomic UPDATEs.

use sea_orm::sea_query::{Expr, IntoColumnRef};
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, Set};

use entities::{account, challenge, user};

use super::sms::{self, code_hash, too_many};
use super::{
    CODE_SECONDS, FAILURES_BEFORE_LOCK, LOCK_SECONDS, MAX_SENDS_PER_CHALLENGE, MAX_TRIES, Method,
    RESEND_COOLDOWN, app, passkey, recovery,
};
use crate::auth::tokens::random_token;
use crate::error::AppError;
use crate::services::audit::{self, Event};
use crate::sms::SmsError;
use crate::state::AppState;

/// `column + 1`, for counters bumped in one atomic UPDATE.
fn plus_one(column: impl IntoColumnRef) -> Expr {
    use sea_orm::sea_query::ExprTrait;
    Expr::col(column).add(1)
}

/// Creates a challenge and texts its code. The error, if any, is the provider's: the person
/// can ask for a new code.
pub async fn start_challenge(
    state: &AppState,
    user: &user::Model,
    account: &account::Model,
    purpose: &str,
    ip: Option<&str>,
) -> Result<(challenge::Model, Option<SmsError>), AppError> {
    let now = state.now();
    let reservation = sms::reserve_send(state, user, account, now, ip).await?;
    let code = sms::new_code();
    let created = insert_challenge(state, user, purpose, Some(&code)).await?;
    let failure = sms::send_code(state, user, &code, now, reservation, ip).await?;
    Ok((created, failure))
}

/// Creates a challenge for someone with an authenticator app: nothing is texted unless they
/// ask for it ("text me a code instead" is then the challenge's first send).
pub async fn open_challenge(
    state: &AppState,
    user: &user::Model,
    purpose: &str,
) -> Result<challenge::Model, AppError> {
    insert_challenge(state, user, purpose, None).await
}

/// A new challenge, with the keyed hash of `texted` when a code is about to be sent. Without
/// one, the empty hash matches no submitted code.
async fn insert_challenge(
    state: &AppState,
    user: &user::Model,
    purpose: &str,
    texted: Option<&str>,
) -> Result<challenge::Model, AppError> {
    let now = state.now();
    let public_id = random_token::<16>();
    Ok(challenge::ActiveModel {
        code_hash: Set(texted
            .map(|code| code_hash(state, &public_id, code))
            .unwrap_or_default()),
        public_id: Set(public_id),
        user_id: Set(user.id),
        account_id: Set(user.account_id),
        purpose: Set(purpose.to_string()),
        created_at: Set(now),
        expires_at: Set(now + CODE_SECONDS),
        attempts: Set(0),
        sends: Set(i32::from(texted.is_some())),
        last_sent_at: Set(if texted.is_some() { now } else { 0 }),
        ..Default::default()
    }
    .insert(&state.db)
    .await?)
}

/// "Send a new code": a new code replaces the old one (30 s apart, at most 3 per challenge).
pub async fn resend(
    state: &AppState,
    challenge: &challenge::Model,
    user: &user::Model,
    account: &account::Model,
    ip: Option<&str>,
) -> Result<Option<SmsError>, AppError> {
    let now = state.now();
    // An expired challenge stays dead: a resend never revives an old password step.
    if challenge.consumed_at.is_some() || challenge.attempts >= MAX_TRIES || challenge.expires_at <= now {
        return Err(AppError::BadRequest(
            "This sign-in can no longer get codes. Please sign in again.".into(),
        ));
    }
    if challenge.sends >= MAX_SENDS_PER_CHALLENGE {
        return Err(too_many(
            60,
            "You have asked for 3 codes for this sign-in. Please sign in again to get another.",
        ));
    }
    let wait = challenge.last_sent_at + RESEND_COOLDOWN - now;
    if wait > 0 {
        return Err(too_many(
            wait,
            format!("Please wait {wait} seconds before asking for a new code."),
        ));
    }
    let reservation = sms::reserve_send(state, user, account, now, ip).await?;
    let code = sms::new_code();
    // One atomic UPDATE so two resends at once cannot both pass the limits.
    let updated = challenge::Entity::update_many()
        .col_expr(
            challenge::Column::CodeHash,
            Expr::value(code_hash(state, &challenge.public_id, &code)),
        )
        .col_expr(challenge::Column::Sends, plus_one(challenge::Column::Sends))
        .col_expr(challenge::Column::LastSentAt, Expr::value(now))
        .col_expr(challenge::Column::ExpiresAt, Expr::value(now + CODE_SECONDS))
        .filter(challenge::Column::Id.eq(challenge.id))
        .filter(challenge::Column::Sends.lt(MAX_SENDS_PER_CHALLENGE))
        .filter(challenge::Column::LastSentAt.lte(now - RESEND_COOLDOWN))
        .filter(challenge::Column::ConsumedAt.is_null())
        .filter(challenge::Column::ExpiresAt.gt(now))
        .exec(&state.db)
        .await?;
    if updated.rows_affected != 1 {
        sms::release(state, reservation).await?;
        return Err(too_many(
            RESEND_COOLDOWN,
            "A new code was just sent. Please wait before asking again.",
        ));
    }
    sms::send_code(state, user, &code, now, reservation, ip).await
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verification {
    Accepted,
    Wrong {
        tries_left: i32,
        /// An app code that was right but already used (each works once).
        reused: bool,
    },
    /// Expired, used, or out of tries: sign in again.
    Dead,
    Locked {
        until: i64,
    },
}

/// Checks a code of the given kind: texted, from the app, or a recovery code; all share the
/// challenge's 5 tries and the 20-failure lock. Claiming a try and consuming the challenge are
/// single atomic UPDATEs, so concurrent tries can neither exceed 5 nor both succeed.
pub async fn verify(
    state: &AppState,
    challenge: &challenge::Model,
    user: &user::Model,
    method: Method,
    submitted: &str,
    ip: Option<&str>,
) -> Result<Verification, AppError> {
    let now = state.now();
    let fresh_user = user::Entity::find_by_id(user.id)
        .one(&state.db)
        .await?
        .ok_or(AppError::NotFound)?;
    if let Some(until) = fresh_user.code_locked_until.filter(|u| *u > now) {
        return Ok(Verification::Locked { until });
    }
    let claimed = challenge::Entity::update_many()
        .col_expr(challenge::Column::Attempts, plus_one(challenge::Column::Attempts))
        .filter(challenge::Column::Id.eq(challenge.id))
        .filter(challenge::Column::UserId.eq(user.id))
        .filter(challenge::Column::Attempts.lt(MAX_TRIES))
        .filter(challenge::Column::ConsumedAt.is_null())
        .filter(challenge::Column::ExpiresAt.gt(now))
        .exec(&state.db)
        .await?;
    if claimed.rows_affected != 1 {
        return Ok(Verification::Dead);
    }
    // Re-read the hash: a resend may have replaced the code since the page was shown.
    let current = challenge::Entity::find_by_id(challenge.id)
        .one(&state.db)
        .await?
        .ok_or(AppError::NotFound)?;
    let mut reused = false;
    let mut recovery_left = None;
    let matches = match method {
        Method::Sms => sms::texted_code_matches(state, &current, submitted),
        Method::App => match app::confirmed(&state.db, user.id).await? {
            Some(app) => match app::check_code(state, user, &app, submitted).await? {
                app::AppCode::Accepted => true,
                app::AppCode::Reused => {
                    reused = true;
                    false
                }
                app::AppCode::Wrong => false,
            },
            None => false,
        },
        Method::Recovery => {
            recovery_left = recovery::use_code(state, user, submitted).await?;
            recovery_left.is_some()
        }
        Method::Passkey => passkey::check_second_step(state, user, submitted, ip.map(str::to_string)).await?,
    };
    if matches {
        let consumed = challenge::Entity::update_many()
            .col_expr(challenge::Column::ConsumedAt, Expr::value(now))
            .filter(challenge::Column::Id.eq(challenge.id))
            .filter(challenge::Column::ConsumedAt.is_null())
            // A reset or revocation meanwhile expires the challenge: it must not complete.
            .filter(challenge::Column::ExpiresAt.gt(now))
            .exec(&state.db)
            .await?;
        if consumed.rows_affected == 1 {
            if let Some(left) = recovery_left {
                recovery::email_code_used(state, user, left).await?;
            }
            user::Entity::update_many()
                .col_expr(user::Column::CodeFailures, Expr::value(0))
                .filter(user::Column::Id.eq(user.id))
                .exec(&state.db)
                .await?;
            audit::record(
                &state.db,
                now,
                Event::new("code.accepted", "success")
                    .account(user.account_id)
                    .actor(user.id)
                    .ip(ip.map(str::to_string))
                    .subject(format!("user {}", user.id))
                    .details(format!("factor {}", method.as_str())),
            )
            .await?;
            return Ok(Verification::Accepted);
        }
        return Ok(Verification::Dead);
    }
    record_failure(state, user, method, now, ip).await?;
    Ok(Verification::Wrong {
        tries_left: (MAX_TRIES - current.attempts).max(0),
        reused,
    })
}

/// Counts a wrong code across challenges; the 20th in a row locks the second step for an hour.
async fn record_failure(
    state: &AppState,
    user: &user::Model,
    method: Method,
    now: i64,
    ip: Option<&str>,
) -> Result<(), AppError> {
    user::Entity::update_many()
        .col_expr(user::Column::CodeFailures, plus_one(user::Column::CodeFailures))
        .filter(user::Column::Id.eq(user.id))
        .exec(&state.db)
        .await?;
    audit::record(
        &state.db,
        now,
        Event::new("code.rejected", "failure")
            .account(user.account_id)
            .actor(user.id)
            .ip(ip.map(str::to_string))
            .subject(format!("user {}", user.id))
            .details(format!("factor {}", method.as_str())),
    )
    .await?;
    // Exactly one request sees rows_affected == 1 and does the locking and the mail.
    let locked = user::Entity::update_many()
        .col_expr(user::Column::CodeLockedUntil, Expr::value(now + LOCK_SECONDS))
        .col_expr(user::Column::CodeFailures, Expr::value(0))
        .filter(user::Column::Id.eq(user.id))
        .filter(user::Column::CodeFailures.gte(FAILURES_BEFORE_LOCK))
        .exec(&state.db)
        .await?;
    if locked.rows_affected == 1 {
        audit::record(
            &state.db,
            now,
            Event::new("second_step.locked", "failure")
                .account(user.account_id)
                .actor(user.id)
                .ip(ip.map(str::to_string))
                .subject(format!("user {}", user.id))
                .details(format!(
                    "{FAILURES_BEFORE_LOCK} wrong codes in a row; locked for 1 hour"
                )),
        )
        .await?;
        let subject = "Outcomes: sign-in codes locked for one of your users";
        let body = format!(
            "Sign-in codes for user ID \"{}\" ({}) were entered wrongly {FAILURES_BEFORE_LOCK} times in a row, so signing in with a code is locked for one hour.\n\nIf this was not that person, someone may know their password: reset it from their page in Outcomes.\n",
            user.login, user.full_name
        );
        sms::email_owner(state, user.account_id, subject, &body).await?;
    }
    Ok(())
}

/// A challenge by the id handed to the app, with its person and practice while both are active.
pub async fn find_public_challenge(
    state: &AppState,
    public_id: &str,
    purpose: &str,
) -> Result<Option<(challenge::Model, user::Model, account::Model)>, AppError> {
    if public_id.len() != 32 || !public_id.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Ok(None);
    }
    let Some(found) = challenge::Entity::find()
        .filter(challenge::Column::PublicId.eq(public_id))
        .filter(challenge::Column::Purpose.eq(purpose))
        .one(&state.db)
        .await?
    else {
        return Ok(None);
    };
    let Some((user, Some(account))) = user::Entity::find_by_id(found.user_id)
        .find_also_related(account::Entity)
        .one(&state.db)
        .await?
    else {
        return Ok(None);
    };
    Ok((user.active && account.active).then_some((found, user, account)))
}

/// The challenge a pending session waits on.
pub async fn find_challenge(state: &AppState, id: i32) -> Result<Option<challenge::Model>, AppError> {
    Ok(challenge::Entity::find_by_id(id).one(&state.db).await?)
}
