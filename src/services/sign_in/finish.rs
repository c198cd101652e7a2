//! The end of a sign-in: registering the browser or the app, and starting the session (or
//! issuing the app's token) with its `login.succeeded` audit row.

use entities::values::{Factor, Factors, SessionState};
use entities::{account, user};

use super::Channel;
use crate::auth::RequestMeta;
use crate::auth::device::{self, Agent, DeviceToken, NewRegistration};
use crate::auth::session::{self, NewSession};
use crate::error::AppError;
use crate::services::audit::{self, Event};
use crate::state::AppState;

/// Registers this browser (or the app) for the person after a second factor passed, audited;
/// the token goes into the cookie (or back to the app).
pub async fn register_device(
    state: &AppState,
    user: &user::Model,
    account: &account::Model,
    channel: Channel,
    meta: &RequestMeta,
) -> Result<DeviceToken, AppError> {
    let now = state.now();
    let agent = Agent::parse(meta.user_agent.as_deref());
    let label = match channel {
        Channel::Web => agent.label(),
        Channel::App => "Outcomes mobile app".into(),
    };
    let (token, registration) = device::register(
        &state.db,
        now,
        NewRegistration {
            user_id: user.id,
            account_id: user.account_id,
            kind: channel.device_kind(),
            agent: &agent,
            label,
            ip: meta.ip.clone(),
            days: account.device_days,
        },
    )
    .await?;
    audit::record(
        &state.db,
        now,
        Event::new("device.registered", "success")
            .account(user.account_id)
            .actor(user.id)
            .subject(format!("user {}", user.id))
            .ip(meta.ip.clone())
            .details(format!("device {} ({})", registration.id, registration.label)),
    )
    .await?;
    Ok(token)
}

/// A signed-in person's credential: the session cookie's token (web) or a bearer token (app).
pub struct Started {
    pub token: String,
    pub expires_in: i64,
}

/// Starts a full session (web) or issues an access token (app) after every required factor
/// passed, and audits `login.succeeded` with the factors (and `also`, the registered device's
/// use, in the same statement).
pub async fn start(
    state: &AppState,
    user: &user::Model,
    factors: Factors,
    channel: Channel,
    meta: &RequestMeta,
    also: Option<Event<'static>>,
) -> Result<Started, AppError> {
    let now = state.now();
    let factors_label = factors.to_string();
    let details = match channel {
        Channel::Web => format!("factors {factors}"),
        Channel::App => format!("factors {factors} (mobile app)"),
    };
    let started = match channel {
        Channel::Web => {
            let (token, _) = session::create(
                &state.db,
                now,
                NewSession {
                    user_id: user.id,
                    account_id: user.account_id,
                    state: SessionState::Full,
                    second_factor_at: passed_second_step(&factors).then_some(now),
                    factors,
                    challenge_id: None,
                    ip: meta.ip.clone(),
                    user_agent: meta.user_agent.clone(),
                },
            )
            .await?;
            Started {
                token,
                expires_in: session::ABSOLUTE_SECONDS,
            }
        }
        Channel::App => {
            let (token, expires_in) = crate::auth::api::issue(&state.db, now, user, &factors).await?;
            Started { token, expires_in }
        }
    };
    state.metrics.sign_in(&factors_label);
    let succeeded = Event::new("login.succeeded", "success")
        .account(user.account_id)
        .actor(user.id)
        .subject(format!("user {}", user.id))
        .ip(meta.ip.clone())
        .details(details);
    audit::record_all(&state.db, now, also.into_iter().chain([succeeded]).collect()).await?;
    Ok(started)
}

/// Whether these factors include a second step passed just now (a registered device proves only
/// an earlier one): the session starts fresh for sensitive actions (SPEC §2.2).
pub fn passed_second_step(factors: &Factors) -> bool {
    factors
        .iter()
        .any(|f| matches!(f, Factor::Sms | Factor::App | Factor::Recovery | Factor::Passkey))
}

/// A finished sign-in: the new device registration (when one was made) and the credential.
pub struct Finished {
    pub device: Option<DeviceToken>,
    pub started: Started,
}

/// Finishes a sign-in whose second step just passed: registers the browser or the app (unless
/// a registered device was already one of the factors) and starts the session.
pub async fn finish(
    state: &AppState,
    user: &user::Model,
    account: &account::Model,
    factors: Factors,
    channel: Channel,
    meta: &RequestMeta,
) -> Result<Finished, AppError> {
    let device = if factors.contains(Factor::Device) {
        None
    } else {
        Some(register_device(state, user, account, channel, meta).await?)
    };
    let started = start(state, user, factors, channel, meta, None).await?;
    Ok(Finished { device, started })
}

/// A web session short of a full one: `Pending` (waiting on `challenge_id`, opens only
/// `/login/verify*`) or `Setup` (the app must be set up; the factors so far are kept for the
/// audit line at the end). Returns the cookie's token.
pub async fn start_partial(
    state: &AppState,
    user: &user::Model,
    session_state: SessionState,
    factors: Factors,
    challenge_id: Option<i32>,
    meta: &RequestMeta,
) -> Result<String, AppError> {
    let (token, _) = session::create(
        &state.db,
        state.now(),
        NewSession {
            user_id: user.id,
            account_id: user.account_id,
            state: session_state,
            second_factor_at: None,
            factors,
            challenge_id,
            ip: meta.ip.clone(),
            user_agent: meta.user_agent.clone(),
        },
    )
    .await?;
    Ok(token)
}
