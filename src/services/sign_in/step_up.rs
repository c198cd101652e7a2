//! Step-up (SPEC §2.2): a sign-in from a registered browser proves only an earlier second step,
//! so a sensitive action asks for a fresh one — within the last 15 minutes of this session —
//! of those whose practice requires the second step. A form posted without one is kept until the
//! person has stepped up.

use sea_orm::sea_query::Expr;
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, Set};

use entities::{session, step_up_request};

use crate::auth::RequestMeta;
use crate::auth::guards::SignedIn;
use crate::error::AppError;
use crate::services::audit::{self, Event};
use crate::services::second_step::{self, Challenge, Method, Methods, Requirement, Verification};
use crate::state::AppState;

/// How long a passed second step counts as fresh.
pub const FRESH_SECONDS: i64 = 15 * 60;
/// How long a kept form waits for its sender to step up.
pub const KEPT_SECONDS: i64 = 15 * 60;

/// Whether this session may take a sensitive action now: its person is not asked for a second
/// step at all, or passed one within `FRESH_SECONDS`.
pub async fn is_fresh(state: &AppState, signed: &SignedIn) -> Result<bool, AppError> {
    if signed
        .session
        .second_factor_at
        .is_some_and(|at| at > state.now() - FRESH_SECONDS)
    {
        return Ok(true);
    }
    let requirement = second_step::requirement_for(state, &signed.account, &signed.user).await?;
    Ok(!matches!(requirement, Requirement::Required(_)))
}

/// The methods this person may step up with.
pub async fn methods(state: &AppState, signed: &SignedIn) -> Result<Methods, AppError> {
    Ok(
        match second_step::requirement_for(state, &signed.account, &signed.user).await? {
            Requirement::Required(methods) => methods,
            _ => Methods::default(),
        },
    )
}

/// The session's step-up challenge, opened (nothing texted) when there is none alive.
pub async fn challenge(state: &AppState, signed: &SignedIn) -> Result<Challenge, AppError> {
    let now = state.now();
    if let Some(id) = signed.session.challenge_id
        && let Some(found) = second_step::find_challenge(state, id).await?
        && found.consumed_at.is_none()
        && found.expires_at > now
        && found.attempts < second_step::MAX_TRIES
    {
        return Ok(found);
    }
    let opened = second_step::open_challenge(state, &signed.user, "step_up").await?;
    session::Entity::update_many()
        .col_expr(session::Column::ChallengeId, Expr::value(opened.id))
        .filter(session::Column::Id.eq(signed.session.id))
        .exec(&state.db)
        .await?;
    Ok(opened)
}

/// Checks a code (or passkey) for the session's step-up; accepted, the session is fresh for
/// `FRESH_SECONDS`, audited as `step_up`.
pub async fn verify(
    state: &AppState,
    signed: &SignedIn,
    challenge: &Challenge,
    method: Method,
    code: &str,
    meta: &RequestMeta,
) -> Result<Verification, AppError> {
    let verdict =
        second_step::verify(state, challenge, &signed.user, method, code, meta.ip.as_deref()).await?;
    if verdict == Verification::Accepted {
        let now = state.now();
        session::Entity::update_many()
            .col_expr(session::Column::SecondFactorAt, Expr::value(now))
            .col_expr(session::Column::ChallengeId, Expr::value(Option::<i32>::None))
            .filter(session::Column::Id.eq(signed.session.id))
            .exec(&state.db)
            .await?;
        audit::record(
            &state.db,
            now,
            Event::new("step_up", "success")
                .account(signed.account.id)
                .actor(signed.user.id)
                .subject(format!("user {}", signed.user.id))
                .ip(meta.ip.clone())
                .details(format!("factor {}", method.as_str())),
        )
        .await?;
    }
    Ok(verdict)
}

/// Keeps a form posted without a fresh second step (its fields URL-encoded); returns the id the
/// resume page takes.
pub async fn keep(state: &AppState, signed: &SignedIn, path: &str, body: String) -> Result<i32, AppError> {
    let now = state.now();
    step_up_request::Entity::delete_many()
        .filter(step_up_request::Column::ExpiresAt.lte(now))
        .exec(&state.db)
        .await?;
    let kept = step_up_request::ActiveModel {
        session_id: Set(signed.session.id),
        path: Set(path.chars().take(300).collect()),
        body: Set(body),
        expires_at: Set(now + KEPT_SECONDS),
        ..Default::default()
    }
    .insert(&state.db)
    .await?;
    Ok(kept.id)
}

/// A kept form of this session, taken (it is sent once): its path and fields.
pub async fn take(
    state: &AppState,
    signed: &SignedIn,
    id: i32,
) -> Result<Option<(String, String)>, AppError> {
    let Some(found) = step_up_request::Entity::find_by_id(id)
        .filter(step_up_request::Column::SessionId.eq(signed.session.id))
        .one(&state.db)
        .await?
    else {
        return Ok(None);
    };
    step_up_request::Entity::delete_by_id(found.id)
        .exec(&state.db)
        .await?;
    Ok((found.expires_at > state.now()).then_some((found.path, found.body)))
}
