//! The app's sign-in: password, second step, resend, logout, and who is signed in.

use rocket::data::{Data, Limits};
use rocket::http::Status;
use rocket::serde::json::{Json, Value, json};
use rocket::{Route, State, get, post, routes};
use serde::Deserialize;

use entities::values::{Factor, Factors};
use entities::{account, challenge, user};

use crate::auth::api::{self, ApiUser};
use crate::auth::device::{self, Agent, DeviceToken, KIND_APP, NewRegistration};
use crate::auth::guards::RequestMeta;
use crate::domain::phone::mask;
use crate::error::AppError;
use crate::services::audit::{self, Event};
use crate::services::two_factor::{self, Method, Methods, Requirement, Verification};
use crate::services::{devices, login};
use crate::state::AppState;

use super::{ApiError, ApiResult, body};

fn user_json(user: &user::Model) -> Value {
    json!({"id": user.id, "role": user.role, "name": user.full_name})
}

async fn signed_in(
    state: &AppState,
    user: &user::Model,
    factors: Factors,
    device_token: Option<String>,
    ip: Option<String>,
) -> ApiResult<(Status, Json<Value>)> {
    let (token, expires_in) = api::issue(&state.db, state.now(), user, &factors).await?;
    audit::record(
        &state.db,
        state.now(),
        Event::new("login.succeeded", "success")
            .account(user.account_id)
            .actor(user.id)
            .subject(format!("user {}", user.id))
            .ip(ip)
            .details(format!("factors {factors} (mobile app)")),
    )
    .await?;
    let mut answer = json!({"access_token": token, "token_type": "Bearer", "expires_in": expires_in, "user": user_json(user)});
    if let Some(device_token) = device_token {
        answer["device_token"] = Value::String(device_token);
    }
    Ok((Status::Ok, Json(answer)))
}

#[derive(Deserialize)]
struct LoginBody {
    user_id: String,
    password: String,
    device_token: Option<String>,
}

fn challenge_answer(
    challenge: &challenge::Model,
    user: &user::Model,
    state: &AppState,
    factors: Methods,
    failure: Option<crate::sms::SmsError>,
) -> Json<Value> {
    let methods: Vec<&str> = factors.methods().into_iter().map(Method::as_str).collect();
    let mut answer = json!({
        "challenge_id": challenge.public_id,
        "methods": methods,
        "texted": challenge.sends > 0,
        "phone_hint": user.phone.as_deref().filter(|_| factors.sms).map(mask).unwrap_or_default(),
        "expires_in": (challenge.expires_at - state.now()).max(0),
    });
    if let Some(error) = failure {
        answer["delivered"] = Value::Bool(false);
        answer["message"] = Value::String(error.user_message().to_string());
    }
    Json(answer)
}

#[post("/login", data = "<data>")]
async fn login_route(
    state: &State<AppState>,
    limits: &Limits,
    data: Data<'_>,
    meta: RequestMeta,
) -> ApiResult<(Status, Json<Value>)> {
    let input: LoginBody = body(limits, data).await?;
    let Some((user, account)) = login::check_password(state, &input.user_id, &input.password, &meta).await?
    else {
        return Err(ApiError::new(
            Status::Unauthorized,
            "invalid_credentials",
            "The user ID or password is incorrect.",
        ));
    };
    let requirement = two_factor::requirement_for(state, &account, &user).await?;
    let factors = match requirement {
        Requirement::NotRequired => {
            return signed_in(
                state,
                &user,
                Factors::new(Factor::Password),
                None,
                meta.ip.clone(),
            )
            .await;
        }
        Requirement::RequiredWithoutPhone => {
            return Err(ApiError::new(
                Status::Forbidden,
                "phone_required",
                "Your practice requires a texted code, but there is no phone number on file for you. Ask your account owner to add one.",
            ));
        }
        Requirement::SetupAuthenticator { .. } => return Err(setup_required()),
        Requirement::Required(factors) => factors,
    };
    let token = input.device_token.as_deref().and_then(DeviceToken::parse);
    if let Some(used) = devices::check_at_sign_in(state, &user, KIND_APP, token.as_ref(), &meta).await? {
        audit::record(&state.db, state.now(), used).await?;
        return signed_in(
            state,
            &user,
            Factors::new(Factor::Password).and(Factor::Device),
            None,
            meta.ip.clone(),
        )
        .await;
    }
    if factors.app {
        // The authenticator app comes first; a text only on `/login/resend`.
        let challenge = two_factor::open_challenge(state, &user, "api").await?;
        return Ok((
            Status::Accepted,
            challenge_answer(&challenge, &user, state, factors, None),
        ));
    }
    let (challenge, failure) = two_factor::start_challenge(state, &user, &account, "api").await?;
    Ok((
        Status::Accepted,
        challenge_answer(&challenge, &user, state, factors, failure),
    ))
}

#[derive(Deserialize)]
struct VerifyBody {
    challenge_id: String,
    code: String,
    /// `app`, `sms` or `recovery`; by default the text once one was sent, else the app.
    method: Option<String>,
}

#[derive(Deserialize)]
struct ResendBody {
    challenge_id: String,
}

/// The API challenge with its user and account; unknown ids look like a wrong code.
async fn find_challenge(
    state: &AppState,
    public_id: &str,
) -> ApiResult<(challenge::Model, user::Model, account::Model)> {
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
    let invalid = || ApiError::new(Status::Unauthorized, "invalid_code", "That code is not right.");
    if public_id.len() != 32 || !public_id.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(invalid());
    }
    let found = challenge::Entity::find()
        .filter(challenge::Column::PublicId.eq(public_id))
        .filter(challenge::Column::Purpose.eq("api"))
        .one(&state.db)
        .await
        .map_err(AppError::from)?
        .ok_or_else(invalid)?;
    let (user, account) = user::Entity::find_by_id(found.user_id)
        .find_also_related(account::Entity)
        .one(&state.db)
        .await
        .map_err(AppError::from)?
        .and_then(|(u, a)| a.map(|a| (u, a)))
        .ok_or_else(invalid)?;
    if !user.active || !account.active {
        return Err(invalid());
    }
    Ok((found, user, account))
}

fn setup_required() -> ApiError {
    ApiError::new(
        Status::Forbidden,
        "authenticator_setup_required",
        "Your practice requires an authenticator app. Sign in on the web once to set it up, then use the app.",
    )
}

fn expired() -> ApiError {
    ApiError::new(
        Status::Gone,
        "challenge_expired",
        "This code can no longer be used. Sign in again to get a new one.",
    )
}

#[post("/login/verify", data = "<data>")]
async fn verify(
    state: &State<AppState>,
    limits: &Limits,
    data: Data<'_>,
    meta: RequestMeta,
) -> ApiResult<(Status, Json<Value>)> {
    let input: VerifyBody = body(limits, data).await?;
    let (found, user, account) = find_challenge(state, &input.challenge_id).await?;
    // The owner may have required the app since this challenge began: no token without it.
    if let Requirement::SetupAuthenticator { .. } =
        two_factor::requirement_for(state, &account, &user).await?
    {
        return Err(setup_required());
    }
    let factors = two_factor::factors_for(state, &account, &user).await?;
    let method = match input.method.as_deref() {
        None => factors.default_method(found.sends > 0),
        Some(text) => Method::parse(text)
            .filter(|m| factors.allows(*m))
            .ok_or_else(|| {
                let offered: Vec<&str> = factors.methods().into_iter().map(Method::as_str).collect();
                ApiError {
                    field: Some("method".into()),
                    ..ApiError::new(
                        Status::UnprocessableEntity,
                        "invalid",
                        format!("Choose one of: {}.", offered.join(", ")),
                    )
                }
            })?,
    };
    match two_factor::verify(state, &found, &user, method, &input.code).await? {
        Verification::Accepted => {
            let agent = Agent::parse(meta.user_agent.as_deref());
            let (token, registration) = device::register(
                &state.db,
                state.now(),
                NewRegistration {
                    user_id: user.id,
                    account_id: user.account_id,
                    kind: KIND_APP,
                    agent: &agent,
                    label: "Outcomes mobile app".into(),
                    ip: meta.ip.clone(),
                    days: account.device_days,
                },
            )
            .await?;
            audit::record(
                &state.db,
                state.now(),
                Event::new("device.registered", "success")
                    .account(user.account_id)
                    .actor(user.id)
                    .subject(format!("user {}", user.id))
                    .ip(meta.ip.clone())
                    .details(format!("device {} ({})", registration.id, registration.label)),
            )
            .await?;
            let factors = Factors::new(Factor::Password).and(method.factor());
            signed_in(state, &user, factors, Some(token.value()), meta.ip).await
        }
        Verification::Wrong { tries_left, reused } => Err(ApiError::new(
            Status::Unauthorized,
            "invalid_code",
            if reused {
                format!("That code was already used; wait for the next one ({tries_left} tries left).")
            } else {
                format!("That code is not right ({tries_left} tries left).")
            },
        )),
        Verification::Dead => Err(expired()),
        Verification::Locked { until } => Err(ApiError {
            retry_after: Some(until - state.now()),
            ..ApiError::new(
                Status::TooManyRequests,
                "rate_limited",
                "Too many wrong codes; sign-in codes are locked for an hour.",
            )
        }),
    }
}

#[post("/login/resend", data = "<data>")]
async fn resend(
    state: &State<AppState>,
    limits: &Limits,
    data: Data<'_>,
) -> ApiResult<(Status, Json<Value>)> {
    let input: ResendBody = body(limits, data).await?;
    let (found, user, account) = find_challenge(state, &input.challenge_id).await?;
    if found.expires_at <= state.now() && found.sends >= two_factor::MAX_SENDS_PER_CHALLENGE {
        return Err(expired());
    }
    let factors = two_factor::factors_for(state, &account, &user).await?;
    if !factors.sms {
        return Err(ApiError::new(
            Status::Forbidden,
            "sms_not_allowed",
            "Texted codes are not available to you. Use your authenticator app or a recovery code.",
        ));
    }
    match two_factor::resend(state, &found, &user, &account).await {
        Ok(failure) => {
            let fresh = two_factor::find_challenge(state, found.id)
                .await?
                .unwrap_or(found);
            Ok((
                Status::Accepted,
                challenge_answer(&fresh, &user, state, factors, failure),
            ))
        }
        Err(AppError::BadRequest(_)) => Err(expired()),
        Err(other) => Err(other.into()),
    }
}

#[post("/logout")]
async fn logout(state: &State<AppState>, caller: ApiUser) -> ApiResult<Json<Value>> {
    api::revoke(&state.db, caller.token.id).await?;
    Ok(Json(json!({"ok": true})))
}

#[get("/me")]
fn me(caller: ApiUser) -> Json<Value> {
    let mut answer = user_json(&caller.user);
    answer["account"] =
        json!({"id": caller.account.id, "name": caller.account.name, "plan": caller.account.plan});
    Json(answer)
}

pub fn routes() -> Vec<Route> {
    routes![login_route, verify, resend, logout, me]
}
