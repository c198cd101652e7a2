//! The SMS second step: who needs it, code challenges, the send limits, atomic code checks and
//! the lock after 20 consecutive failures (SECURITY.md "Codes sent by SMS").

use sea_orm::sea_query::{Expr, IntoColumnRef};
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, Set};

use entities::values::Factor;
use entities::{account, audit_log, challenge, sms_send, user};

use crate::auth::tokens::{constant_time_eq, hmac_hex, random_below, random_token};
use crate::domain::{Plan, Role};
use crate::error::AppError;
use crate::services::audit::{self, Event};
use crate::services::authenticator::{self, AppCode};
use crate::sms::{SmsError, code_message};
use crate::state::AppState;

pub const CODE_SECONDS: i64 = 10 * 60;
pub const MAX_TRIES: i32 = 5;
pub const MAX_SENDS_PER_CHALLENGE: i32 = 3;
pub const RESEND_COOLDOWN: i64 = 30;
pub const SENDS_PER_HOUR: u64 = 5;
pub const SENDS_PER_DAY: u64 = 10;
pub const FAILURES_BEFORE_LOCK: i32 = 20;
pub const LOCK_SECONDS: i64 = 60 * 60;

/// Whether this person must pass the second step (SPEC §2), and with what.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Requirement {
    NotRequired,
    Required(Methods),
    /// Required, but there is neither a phone nor an app: on `mobile` this person cannot sign in.
    RequiredWithoutPhone,
    /// The owner requires an authenticator app for staff and this person has none: after the
    /// password (and a texted code when they have a phone) they set one up before going on.
    SetupAuthenticator {
        sms_first: bool,
    },
}

/// The second factors a person may use at sign-in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Methods {
    pub app: bool,
    pub sms: bool,
    pub recovery: bool,
}

impl Methods {
    pub fn allows(&self, method: Method) -> bool {
        match method {
            Method::App => self.app,
            Method::Sms => self.sms,
            Method::Recovery => self.recovery,
        }
    }

    /// The form a pending sign-in shows unless the person chose: the text once one was sent
    /// (that is what they are waiting for), otherwise the strongest factor.
    pub fn default_method(&self, texted: bool) -> Method {
        if texted && self.sms {
            Method::Sms
        } else {
            self.methods().first().copied().unwrap_or(Method::Sms)
        }
    }

    /// What the verify page and the API offer, strongest first.
    pub fn methods(&self) -> Vec<Method> {
        [Method::App, Method::Sms, Method::Recovery]
            .into_iter()
            .filter(|m| self.allows(*m))
            .collect()
    }
}

/// A way through the second step.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    App,
    Sms,
    Recovery,
}

impl Method {
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "app" => Some(Self::App),
            "sms" => Some(Self::Sms),
            "recovery" => Some(Self::Recovery),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        self.factor().as_str()
    }

    /// The factor passing this method proves (for the audit line and the session).
    pub fn factor(self) -> Factor {
        match self {
            Self::App => Factor::App,
            Self::Sms => Factor::Sms,
            Self::Recovery => Factor::Recovery,
        }
    }
}

/// Whether the owner requires an authenticator app (no texts) of this person.
pub fn app_only(account: &account::Model, user: &user::Model) -> bool {
    user.role != Role::Client && account.staff_require_authenticator
}

/// Whether the plan and the owner's switches ask this person for a second step at all.
pub fn wants_second_step(account: &account::Model, user: &user::Model) -> bool {
    match account.plan {
        Plan::Mobile => true,
        Plan::Pro if user.role == Role::Client => account.client_two_factor,
        Plan::Pro => account.staff_two_factor || app_only(account, user),
    }
}

/// `has_app`: the person has a confirmed authenticator app (and so recovery codes).
pub fn requirement(account: &account::Model, user: &user::Model, has_app: bool) -> Requirement {
    let plan = account.plan;
    let app_only = app_only(account, user);
    let wanted = wants_second_step(account, user);
    let has_phone = user.phone.is_some();
    if !wanted {
        return Requirement::NotRequired;
    }
    if app_only && !has_app {
        return Requirement::SetupAuthenticator { sms_first: has_phone };
    }
    if has_app || has_phone {
        return Requirement::Required(Methods {
            app: has_app,
            sms: has_phone && !app_only,
            recovery: has_app,
        });
    }
    match plan {
        Plan::Mobile => Requirement::RequiredWithoutPhone,
        // On `pro` a person without a phone or app signs in with the password and is listed as unprotected.
        Plan::Pro => Requirement::NotRequired,
    }
}

/// `requirement`, looking up whether the person has an app.
pub async fn requirement_for(
    state: &AppState,
    account: &account::Model,
    user: &user::Model,
) -> Result<Requirement, AppError> {
    // Not asked for a second step: no need to look the app up.
    if !wants_second_step(account, user) {
        return Ok(Requirement::NotRequired);
    }
    let has_app = authenticator::confirmed(&state.db, user.id).await?.is_some();
    Ok(requirement(account, user, has_app))
}

/// The factors a pending sign-in may use now (a set-up walk-through starts with a text).
pub async fn factors_for(
    state: &AppState,
    account: &account::Model,
    user: &user::Model,
) -> Result<Methods, AppError> {
    Ok(match requirement_for(state, account, user).await? {
        Requirement::Required(factors) => factors,
        Requirement::SetupAuthenticator { sms_first: true } => Methods {
            sms: true,
            ..Methods::default()
        },
        _ => Methods::default(),
    })
}

/// `column + 1`, for counters bumped in one atomic UPDATE.
fn plus_one(column: impl IntoColumnRef) -> Expr {
    use sea_orm::sea_query::ExprTrait;
    Expr::col(column).add(1)
}

/// A six-digit code from the OS CSPRNG; leading zeros kept.
pub fn new_code() -> String {
    format!("{:06}", random_below(1_000_000))
}

fn code_hash(state: &AppState, challenge_public_id: &str, code: &str) -> String {
    hmac_hex(&state.keys.code_hmac, &format!("{challenge_public_id}:{code}"))
}

fn too_many(retry_after: i64, message: impl Into<String>) -> AppError {
    AppError::TooMany {
        retry_after: retry_after.max(1),
        message: message.into(),
    }
}

fn locked_message(until: i64, now: i64) -> AppError {
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
async fn reserve_send(
    state: &AppState,
    user: &user::Model,
    account: &account::Model,
    now: i64,
) -> Result<i32, AppError> {
    if let Some(until) = user.code_locked_until.filter(|u| *u > now) {
        return Err(locked_message(until, now));
    }
    let reservation = sms_send::ActiveModel {
        user_id: Set(user.id),
        account_id: Set(user.account_id),
        at: Set(now),
        delivered: Set(false),
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
    let account_today = sms_send::Entity::find()
        .filter(sms_send::Column::AccountId.eq(account.id))
        .filter(sms_send::Column::At.gt(now - 86_400))
        .filter(sms_send::Column::Id.lte(reservation.id))
        .count(&state.db)
        .await?;
    if account_today > account.sms_daily_budget.max(0) as u64 {
        tell_owner_budget_exhausted(state, account, now).await?;
        return refuse(too_many(
            3600,
            "Your practice has used today's budget of sign-in texts. Your account owner has been told.",
        ))
        .await;
    }
    Ok(reservation.id)
}

/// Sends the code on a reserved send and records whether the provider took it.
async fn send_code(
    state: &AppState,
    user: &user::Model,
    code: &str,
    now: i64,
    reservation: i32,
) -> Result<Option<SmsError>, AppError> {
    let Some(phone) = user.phone.as_deref() else {
        return Ok(Some(SmsError::InvalidNumber("no phone".into())));
    };
    let body = code_message(code, &state.settings.public_host());
    let outcome = state.sms.send(phone, &body).await;
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
        .subject(format!("user {}", user.id));
    if !details.is_empty() {
        event = event.details(details);
    }
    audit::record(&state.db, now, event).await?;
    Ok(outcome.err())
}

/// Creates a challenge and texts its code. The error, if any, is the provider's: the person
/// can ask for a new code.
pub async fn start_challenge(
    state: &AppState,
    user: &user::Model,
    account: &account::Model,
    purpose: &str,
) -> Result<(challenge::Model, Option<SmsError>), AppError> {
    let now = state.now();
    let reservation = reserve_send(state, user, account, now).await?;
    let code = new_code();
    let created = insert_challenge(state, user, purpose, Some(&code)).await?;
    let failure = send_code(state, user, &code, now, reservation).await?;
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
    let reservation = reserve_send(state, user, account, now).await?;
    let code = new_code();
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
        sms_send::Entity::delete_by_id(reservation)
            .exec(&state.db)
            .await?;
        return Err(too_many(
            RESEND_COOLDOWN,
            "A new code was just sent. Please wait before asking again.",
        ));
    }
    send_code(state, user, &code, now, reservation).await
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
        Method::Sms => texted_code_matches(state, &current, submitted),
        Method::App => match authenticator::confirmed(&state.db, user.id).await? {
            Some(app) => match authenticator::check_code(state, user, &app, submitted).await? {
                AppCode::Accepted => true,
                AppCode::Reused => {
                    reused = true;
                    false
                }
                AppCode::Wrong => false,
            },
            None => false,
        },
        Method::Recovery => {
            recovery_left = authenticator::use_recovery_code(state, user, submitted).await?;
            recovery_left.is_some()
        }
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
                authenticator::email_recovery_code_used(state, user, left).await;
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
                    .subject(format!("user {}", user.id))
                    .details(format!("factor {}", method.as_str())),
            )
            .await?;
            return Ok(Verification::Accepted);
        }
        return Ok(Verification::Dead);
    }
    record_failure(state, user, method, now).await?;
    Ok(Verification::Wrong {
        tries_left: (MAX_TRIES - current.attempts).max(0),
        reused,
    })
}

fn texted_code_matches(state: &AppState, challenge: &challenge::Model, submitted: &str) -> bool {
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

/// Counts a wrong code across challenges; the 20th in a row locks the second step for an hour.
async fn record_failure(
    state: &AppState,
    user: &user::Model,
    method: Method,
    now: i64,
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
        email_owner(state, user.account_id, subject, &body).await?;
    }
    Ok(())
}

async fn email_owner(state: &AppState, account_id: i32, subject: &str, body: &str) -> Result<(), AppError> {
    let owner = user::Entity::find()
        .filter(user::Column::AccountId.eq(account_id))
        .filter(user::Column::Role.eq(Role::Owner))
        .one(&state.db)
        .await?;
    if let Some(email) = owner.and_then(|o| o.email) {
        state.mailer.send(&email, subject, body).await;
    }
    Ok(())
}

/// Tells the owner once a day that the SMS budget ran out.
async fn tell_owner_budget_exhausted(
    state: &AppState,
    account: &account::Model,
    now: i64,
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
            .details(format!("daily budget {} reached", account.sms_daily_budget)),
    )
    .await?;
    let body = format!(
        "Your practice \"{}\" reached its daily budget of {} sign-in texts, so further codes are refused until the 24-hour window moves on.\n\nIf you did not expect this many sign-ins, someone may be abusing the sign-in page.\n",
        account.name, account.sms_daily_budget
    );
    email_owner(
        state,
        account.id,
        "Outcomes: daily sign-in text budget reached",
        &body,
    )
    .await
}

/// The challenge a pending session waits on.
pub async fn find_challenge(state: &AppState, id: i32) -> Result<Option<challenge::Model>, AppError> {
    Ok(challenge::Entity::find_by_id(id).one(&state.db).await?)
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
