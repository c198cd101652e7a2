//! Texted codes: the code itself, its keyed hash, the send limits (per user, per account) and
//! the sending (SECURITY.md "Codes sent by SMS"). Counting happens before any provider call.

use sea_orm::sea_query::Expr;
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, Set};

use entities::{account, audit_log, challenge, sms_send, user};

use super::{
    NEW_ACCOUNT_DAILY_TEXTS, NEW_ACCOUNT_DAYS, SENDS_PER_DAY, SENDS_PER_HOUR, SENDS_PER_NUMBER_PER_DAY,
    SENDS_PER_NUMBER_PER_HOUR,
};
use crate::auth::tokens::{constant_time_eq, hmac_hex, random_below};
use crate::domain::Role;
use crate::error::AppError;
use crate::services::audit::{self, Event};
use crate::sms::{SmsError, code_message};
use crate::state::AppState;

/// A six-digit code from the OS CSPRNG; leading zeros kept.
pub fn new_code() -> String {
    format!("{:06}", random_below(1_000_000))
}

pub(super) fn code_hash(state: &AppState, challenge_public_id: &str, code: &str) -> String {
    hmac_hex(&state.keys.code_hmac, &format!("{challenge_public_id}:{code}"))
}

pub(super) fn texted_code_matches(state: &AppState, challenge: &challenge::Model, submitted: &str) -> bool {
    let normalized: String = submitted
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .collect();
    // `sends == 0`: nothing was texted for this challenge, so no texted code can be right.
    challenge.sends > 0
        && normalized.len() == 6
        && normalized.bytes().all(|b| b.is_ascii_digit())
        && constant_time_eq(
            &code_hash(state, &challenge.public_id, &normalized),
            &challenge.code_hash,
        )
}

pub(super) fn too_many(retry_after: i64, message: impl Into<String>) -> AppError {
    AppError::TooMany {
        retry_after: retry_after.max(1),
        message: message.into(),
    }
}

pub(super) fn locked_message(until: i64, now: i64) -> AppError {
    let minutes = ((until - now) + 59) / 60;
    too_many(
        until - now,
        format!(
            "Too many wrong codes. Sign-in codes for this user are locked for {minutes} more minutes; your account owner has been told."
        ),
    )
}

/// Reserves one text: refuses with 429 when the user is locked or a send limit is reached (no
/// provider call then). The send is recorded *before* the limits are counted, so concurrent
/// requests see each other and can never exceed a limit together; a refused one removes its row.
pub(super) async fn reserve_send(
    state: &AppState,
    user: &user::Model,
    account: &account::Model,
    now: i64,
    ip: Option<&str>,
) -> Result<i32, AppError> {
    if let Some(until) = user.code_locked_until.filter(|u| *u > now) {
        return Err(locked_message(until, now));
    }
    let phone = user.phone.as_deref().unwrap_or_default();
    if !texts_allowed_to(state, phone) {
        return Err(too_many(
            86_400,
            format!(
                "Outcomes does not send texts to that phone number's country (it texts numbers in {} only). Ask your account owner to add another number, or use an authenticator app.",
                state.settings.sms_countries.join(", ")
            ),
        ));
    }
    let destination = destination_tag(state, phone);
    let reservation = sms_send::ActiveModel {
        user_id: Set(user.id),
        account_id: Set(user.account_id),
        at: Set(now),
        delivered: Set(false),
        destination: Set(destination.clone()),
        ..Default::default()
    }
    .insert(&state.db)
    .await?;
    let refuse = |error: AppError| async {
        sms_send::Entity::delete_by_id(reservation.id)
            .exec(&state.db)
            .await?;
        Err::<i32, AppError>(error)
    };
    let sends_since = |since: i64| {
        sms_send::Entity::find()
            .filter(sms_send::Column::UserId.eq(user.id))
            .filter(sms_send::Column::At.gt(since))
            .order_by_asc(sms_send::Column::At)
            .order_by_asc(sms_send::Column::Id)
    };
    let hour = sends_since(now - 3600).all(&state.db).await?;
    // Counted in order: this request is within the limit only if its own row is.
    let position = |rows: &[sms_send::Model]| {
        rows.iter()
            .position(|r| r.id == reservation.id)
            .map_or(usize::MAX, |p| p + 1)
    };
    if position(&hour) as u64 > SENDS_PER_HOUR {
        let oldest = hour.first().map_or(now, |s| s.at);
        return refuse(too_many(
            oldest + 3600 - now,
            "Too many codes were sent in the last hour. Please wait before asking for another.",
        ))
        .await;
    }
    let day = sends_since(now - 86_400).all(&state.db).await?;
    if position(&day) as u64 > SENDS_PER_DAY {
        let oldest = day.first().map_or(now, |s| s.at);
        return refuse(too_many(
            oldest + 86_400 - now,
            "Too many codes were sent today. Please try again tomorrow.",
        ))
        .await;
    }
    // SECURITY: limits no new account resets — per destination number, whole service.
    let to_number_since = |since: i64| {
        sms_send::Entity::find()
            .filter(sms_send::Column::Destination.eq(destination.as_str()))
            .filter(sms_send::Column::At.gt(since))
            .order_by_asc(sms_send::Column::At)
            .order_by_asc(sms_send::Column::Id)
    };
    let number_hour = to_number_since(now - 3600).all(&state.db).await?;
    if position(&number_hour) as u64 > SENDS_PER_NUMBER_PER_HOUR {
        let oldest = number_hour.first().map_or(now, |s| s.at);
        return refuse(too_many(
            oldest + 3600 - now,
            format!(
                "Too many codes were sent to this phone number in the last hour (at most {SENDS_PER_NUMBER_PER_HOUR}). Please wait before asking for another."
            ),
        ))
        .await;
    }
    let number_day = to_number_since(now - 86_400).all(&state.db).await?;
    if position(&number_day) as u64 > SENDS_PER_NUMBER_PER_DAY {
        let oldest = number_day.first().map_or(now, |s| s.at);
        return refuse(too_many(
            oldest + 86_400 - now,
            format!(
                "Too many codes were sent to this phone number today (at most {SENDS_PER_NUMBER_PER_DAY}). Please try again tomorrow."
            ),
        ))
        .await;
    }
    let account_today = sms_send::Entity::find()
        .filter(sms_send::Column::AccountId.eq(account.id))
        .filter(sms_send::Column::At.gt(now - 86_400))
        .filter(sms_send::Column::Id.lte(reservation.id))
        .count(&state.db)
        .await?;
    let budget = daily_budget(account, now);
    if account_today > budget {
        tell_owner_budget_exhausted(state, account, now, ip).await?;
        return refuse(too_many(
            3600,
            format!("Your practice has used today's budget of {budget} sign-in texts. Your account owner has been told."),
        ))
        .await;
    }
    Ok(reservation.id)
}

/// The account's texts per day: a new practice (its first `NEW_ACCOUNT_DAYS`) gets a small
/// budget, so that sign-ups cannot be used to pump texts; then the owner's setting.
pub(super) fn daily_budget(account: &account::Model, now: i64) -> u64 {
    let budget = u64::try_from(account.sms_daily_budget.max(0)).unwrap_or_default();
    if now - account.created_at < NEW_ACCOUNT_DAYS * 86_400 {
        budget.min(NEW_ACCOUNT_DAILY_TEXTS)
    } else {
        budget
    }
}

/// Whether texts may go to this E.164 number: its country is one of `sms_countries`.
fn texts_allowed_to(state: &AppState, e164: &str) -> bool {
    phonenumber::parse(None, e164)
        .ok()
        .and_then(|number| number.country().id())
        .is_some_and(|country| {
            state
                .settings
                .sms_countries
                .iter()
                .any(|allowed| allowed.as_str() == country.as_ref())
        })
}

/// A keyed tag of a destination number: limits can count per number without the database
/// gaining another copy of it.
fn destination_tag(state: &AppState, e164: &str) -> String {
    hmac_hex(&state.keys.code_hmac, &format!("destination:{e164}"))[..32].to_string()
}

/// Gives back a reserved send that will not be used.
pub(super) async fn release(state: &AppState, reservation: i32) -> Result<(), AppError> {
    sms_send::Entity::delete_by_id(reservation)
        .exec(&state.db)
        .await?;
    Ok(())
}

/// Sends the code on a reserved send and records whether the provider took it.
pub(super) async fn send_code(
    state: &AppState,
    user: &user::Model,
    code: &str,
    now: i64,
    reservation: i32,
    ip: Option<&str>,
) -> Result<Option<SmsError>, AppError> {
    let Some(phone) = user.phone.as_deref() else {
        return Ok(Some(SmsError::InvalidNumber("no phone".into())));
    };
    let body = code_message(code, &state.settings.public_host());
    let outcome = state.sms.send(phone, &body).await;
    state.metrics.code(outcome.is_ok());
    if outcome.is_ok() {
        sms_send::Entity::update_many()
            .col_expr(sms_send::Column::Delivered, Expr::value(true))
            .filter(sms_send::Column::Id.eq(reservation))
            .exec(&state.db)
            .await?;
    }
    let (action, result, details) = match &outcome {
        Ok(()) => ("code.sent", "success", String::new()),
        Err(error) => ("code.send_failed", "failure", error.to_string()),
    };
    let mut event = Event::new(action, result)
        .account(user.account_id)
        .actor(user.id)
        .ip(ip.map(str::to_string))
        .subject(format!("user {}", user.id));
    if !details.is_empty() {
        event = event.details(details);
    }
    audit::record(&state.db, now, event).await?;
    Ok(outcome.err())
}

pub(super) async fn email_owner(
    state: &AppState,
    account_id: i32,
    subject: &str,
    body: &str,
) -> Result<(), AppError> {
    let owner = user::Entity::find()
        .filter(user::Column::AccountId.eq(account_id))
        .filter(user::Column::Role.eq(Role::Owner))
        .one(&state.db)
        .await?;
    if let Some(email) = owner.and_then(|o| o.email) {
        crate::services::notify::email(state, account_id, &email, subject, body).await?;
    }
    Ok(())
}

/// Tells the owner once a day that the SMS budget ran out.
async fn tell_owner_budget_exhausted(
    state: &AppState,
    account: &account::Model,
    now: i64,
    ip: Option<&str>,
) -> Result<(), AppError> {
    let already = audit_log::Entity::find()
        .filter(audit_log::Column::AccountId.eq(account.id))
        .filter(audit_log::Column::Action.eq("sms.budget_exhausted"))
        .filter(audit_log::Column::At.gt(now - 86_400))
        .count(&state.db)
        .await?;
    if already > 0 {
        return Ok(());
    }
    audit::record(
        &state.db,
        now,
        Event::new("sms.budget_exhausted", "failure")
            .account(account.id)
            .ip(ip.map(str::to_string))
            .details(format!("daily budget {} reached", daily_budget(account, now))),
    )
    .await?;
    let body = format!(
        "Your practice \"{}\" reached its daily budget of {} sign-in texts, so further codes are refused until the 24-hour window moves on.{}\n\nIf you did not expect this many sign-ins, someone may be abusing the sign-in page.\n",
        account.name,
        daily_budget(account, now),
        if daily_budget(account, now) < u64::try_from(account.sms_daily_budget.max(0)).unwrap_or_default() {
            format!(
                " A new practice may send {NEW_ACCOUNT_DAILY_TEXTS} texts a day for its first {NEW_ACCOUNT_DAYS} days."
            )
        } else {
            String::new()
        }
    );
    email_owner(
        state,
        account.id,
        "Outcomes: daily sign-in text budget reached",
        &body,
    )
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_six_digits_and_some_start_with_zero() {
        let codes: Vec<String> = (0..2000).map(|_| new_code()).collect();
        assert!(
            codes
                .iter()
                .all(|c| c.len() == 6 && c.bytes().all(|b| b.is_ascii_digit()))
        );
        assert!(
            codes.iter().any(|c| c.starts_with('0')),
            "leading zeros are possible"
        );
    }
}
