//! The app's sign-in: password, second step and resend (a passkey alone: `passkey`; who is signed
//! in and signing out: `session`). The decisions are `services::sign_in`'s, exactly as on the
//! web; this file turns them into JSON.

use rocket::data::{Data, Limits};
use rocket::http::Status;
use rocket::serde::json::Json;
use rocket::{Route, State, post, routes};
use serde::{Deserialize, Serialize};

use crate::auth::RequestMeta;
use crate::auth::device::DeviceToken;
use crate::domain::phone::mask;
use crate::domain::{Factor, Factors, Role};
use crate::error::AppError;
use crate::services::second_step::{self, Challenge, Method, Methods};
use crate::services::sign_in::{self, Channel, Completion, FirstFactor, Next, PendingSignIn, password};
use crate::services::{Account, User};
use crate::sms::SmsError;
use crate::state::AppState;

use super::errors::{LoginErrors, ResendErrors, VerifyErrors};
use super::openapi::RoleSchema;
use super::{ApiError, ApiResult, body};

/// Who is signed in, as every sign-in answer and `/me` show it.
#[derive(Serialize, utoipa::ToSchema)]
pub(super) struct UserJson {
    id: i32,
    #[schema(value_type = RoleSchema)]
    role: Role,
    name: String,
}

impl UserJson {
    pub(super) fn of(user: &User) -> Self {
        Self {
            id: user.id,
            role: user.role,
            name: user.full_name.clone(),
        }
    }
}

/// `200`: signed in.
#[derive(Serialize, utoipa::ToSchema)]
pub(super) struct SignedInJson {
    access_token: String,
    /// Always `Bearer`.
    #[schema(example = "Bearer")]
    token_type: &'static str,
    expires_in: i64,
    user: UserJson,
    /// Only after a second step: the app's registration, to send with the next sign-in.
    #[serde(skip_serializing_if = "Option::is_none")]
    device_token: Option<String>,
}

/// `202`: a second step is needed.
#[derive(Serialize, utoipa::ToSchema)]
struct ChallengeJson {
    challenge_id: String,
    methods: Vec<&'static str>,
    texted: bool,
    phone_hint: String,
    expires_in: i64,
    /// Present (false) when the text could not be sent; `message` says why.
    #[serde(skip_serializing_if = "Option::is_none")]
    delivered: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    message: Option<String>,
}

fn challenge_answer(
    state: &AppState,
    challenge: &Challenge,
    user: &User,
    methods: Methods,
    failure: Option<SmsError>,
) -> (Status, Json<ChallengeJson>) {
    let answer = ChallengeJson {
        challenge_id: challenge.public_id.clone(),
        methods: methods.methods().into_iter().map(Method::as_str).collect(),
        texted: challenge.sends > 0,
        phone_hint: user
            .phone
            .as_deref()
            .filter(|_| methods.sms)
            .map(mask)
            .unwrap_or_default(),
        expires_in: (challenge.expires_at - state.now()).max(0),
        delivered: failure.as_ref().map(|_| false),
        message: failure.map(|error| error.user_message().to_string()),
    };
    (Status::Accepted, Json(answer))
}

/// Either answer of `/login`.
#[derive(rocket::Responder)]
enum LoginAnswer {
    SignedIn(Json<SignedInJson>),
    Challenge((Status, Json<ChallengeJson>)),
}

pub(super) fn signed_in(
    user: &User,
    started: sign_in::Started,
    device: Option<DeviceToken>,
) -> Json<SignedInJson> {
    Json(SignedInJson {
        access_token: started.token,
        token_type: "Bearer",
        expires_in: started.expires_in,
        user: UserJson::of(user),
        device_token: device.map(|d| d.value()),
    })
}

fn setup_required() -> ApiError {
    ApiError::new(
        Status::Forbidden,
        "authenticator_setup_required",
        "Your practice requires an authenticator app. Sign in on the web once to set it up, then use the app.",
    )
}

fn passkey_setup_required() -> ApiError {
    ApiError::new(
        Status::Forbidden,
        "passkey_setup_required",
        "Your practice requires owners and admins to use a passkey. Sign in on the web once to add one, then use the app.",
    )
}

fn expired() -> ApiError {
    ApiError::new(
        Status::Gone,
        "challenge_expired",
        "This code can no longer be used. Sign in again to get a new one.",
    )
}

#[derive(Deserialize, utoipa::ToSchema)]
struct LoginBody {
    user_id: String,
    password: String,
    device_token: Option<String>,
}

/// Signs in with a user ID and password; a registered app (`device_token`) may need no code.
#[utoipa::path(post, path = "/api/v1/login", tag = "sign-in", request_body = LoginBody,
    responses(
        (status = 200, description = "Signed in: no second step needed", body = SignedInJson),
        (status = 202, description = "A second step is needed (a code was texted, or the app's)", body = ChallengeJson),
        LoginErrors,
    ))]
#[post("/login", data = "<data>")]
async fn login_route(
    state: &State<AppState>,
    limits: &Limits,
    data: Data<'_>,
    meta: RequestMeta,
) -> ApiResult<LoginAnswer> {
    let input: LoginBody = body(limits, data).await?;
    let Some((user, account)) = password::check(state, &input.user_id, &input.password, &meta).await? else {
        return Err(ApiError::new(
            Status::Unauthorized,
            "invalid_credentials",
            "The user ID or password is incorrect.",
        ));
    };
    // SECURITY: SPEC §2.3 `required`: linked staff sign in only through the practice's provider.
    if let Some(link) = crate::services::sso::password_refused(state, &user, &account).await? {
        return Err(ApiError::new(
            Status::Forbidden,
            "sso_required",
            format!("Your practice signs you in through its identity provider: {link}"),
        ));
    }
    let first = FirstFactor {
        user,
        account,
        factors: Factors::new(Factor::Password),
    };
    let presented = input.device_token.as_deref().and_then(DeviceToken::parse);
    let decision =
        sign_in::after_first_factor(state, &first, Channel::App, presented.as_ref(), &meta).await?;
    match decision.next {
        Next::SignIn { factors, device_used } => {
            let started =
                sign_in::start(state, &first.user, factors, Channel::App, &meta, device_used).await?;
            Ok(LoginAnswer::SignedIn(signed_in(&first.user, started, None)))
        }
        Next::PhoneRequired => Err(ApiError::new(
            Status::Forbidden,
            "phone_required",
            "Your practice requires a texted code, but there is no phone number on file for you. Ask your account owner to add one.",
        )),
        Next::SetupRequired { .. } => Err(setup_required()),
        Next::PasskeySetupRequired { .. } => Err(passkey_setup_required()),
        Next::Challenge {
            challenge,
            methods,
            failure,
        } => Ok(LoginAnswer::Challenge(challenge_answer(
            state,
            &challenge,
            &first.user,
            methods,
            failure,
        ))),
    }
}

/// The API challenge with its user and account; unknown ids look like a wrong code.
async fn find_challenge(state: &AppState, public_id: &str) -> ApiResult<(Challenge, User, Account)> {
    let invalid = || ApiError::new(Status::Unauthorized, "invalid_code", "That code is not right.");
    second_step::find_public_challenge(state, public_id, Channel::App.purpose())
        .await?
        .ok_or_else(invalid)
}

#[derive(Deserialize, utoipa::ToSchema)]
struct VerifyBody {
    challenge_id: String,
    code: String,
    /// `app`, `sms` or `recovery`; by default the text once one was sent, else the app.
    method: Option<String>,
}

/// The second step: a texted code, an authenticator-app code or a recovery code.
#[utoipa::path(post, path = "/api/v1/login/verify", tag = "sign-in", request_body = VerifyBody,
    responses(
        (status = 200, description = "Signed in; `device_token` registers this app", body = SignedInJson),
        VerifyErrors,
    ))]
#[post("/login/verify", data = "<data>")]
async fn verify(
    state: &State<AppState>,
    limits: &Limits,
    data: Data<'_>,
    meta: RequestMeta,
) -> ApiResult<Json<SignedInJson>> {
    let input: VerifyBody = body(limits, data).await?;
    let (found, user, account) = find_challenge(state, &input.challenge_id).await?;
    let factors = Factors::new(Factor::Password);
    let pending = PendingSignIn {
        user: &user,
        account: &account,
        challenge: &found,
        factors: &factors,
    };
    let asked = input.method.as_deref().map(|text| Method::parse(text).ok_or(()));
    let chosen = match asked {
        Some(Err(())) => Err(second_step::methods_for(state, &account, &user).await?),
        Some(Ok(method)) => sign_in::choose_method(state, &pending, Some(method)).await?,
        None => sign_in::choose_method(state, &pending, None).await?,
    };
    let method = chosen.map(|(method, _)| method).map_err(|offered| {
        let offered: Vec<&str> = offered.methods().into_iter().map(Method::as_str).collect();
        ApiError {
            field: Some("method".into()),
            ..ApiError::new(
                Status::UnprocessableEntity,
                "invalid",
                format!("Choose one of: {}.", offered.join(", ")),
            )
        }
    })?;
    match sign_in::complete_second_step(state, &pending, Channel::App, method, &input.code, &meta).await? {
        Completion::SignIn { factors } => {
            let finished = sign_in::finish(state, &user, &account, factors, Channel::App, &meta).await?;
            Ok(signed_in(&user, finished.started, finished.device))
        }
        Completion::SetupRequired { .. } => Err(setup_required()),
        Completion::PasskeySetupRequired { .. } => Err(passkey_setup_required()),
        Completion::Wrong { tries_left, reused } => Err(ApiError::new(
            Status::Unauthorized,
            "invalid_code",
            if reused {
                format!("That code was already used; wait for the next one ({tries_left} tries left).")
            } else {
                format!("That code is not right ({tries_left} tries left).")
            },
        )),
        Completion::Dead => Err(expired()),
        Completion::Locked { until } => Err(ApiError {
            retry_after: Some(until - state.now()),
            ..ApiError::new(
                Status::TooManyRequests,
                "rate_limited",
                "Too many wrong codes; sign-in codes are locked for an hour.",
            )
        }),
    }
}

#[derive(Deserialize, utoipa::ToSchema)]
struct ResendBody {
    challenge_id: String,
}

/// Texts a new code for a challenge (the old one dies; limits apply).
#[utoipa::path(post, path = "/api/v1/login/resend", tag = "sign-in", request_body = ResendBody,
    responses(
        (status = 202, description = "A new code was texted (or `delivered: false` says why not)", body = ChallengeJson),
        ResendErrors,
    ))]
#[post("/login/resend", data = "<data>")]
async fn resend(
    state: &State<AppState>,
    limits: &Limits,
    data: Data<'_>,
    meta: RequestMeta,
) -> ApiResult<(Status, Json<ChallengeJson>)> {
    let input: ResendBody = body(limits, data).await?;
    let (found, user, account) = find_challenge(state, &input.challenge_id).await?;
    if found.expires_at <= state.now() && found.sends >= second_step::MAX_SENDS_PER_CHALLENGE {
        return Err(expired());
    }
    let methods = second_step::methods_for(state, &account, &user).await?;
    if !methods.sms {
        return Err(ApiError::new(
            Status::Forbidden,
            "sms_not_allowed",
            "Texted codes are not available to you. Use your authenticator app or a recovery code.",
        ));
    }
    match second_step::resend(state, &found, &user, &account, meta.ip.as_deref()).await {
        Ok(failure) => {
            let fresh = second_step::find_challenge(state, found.id)
                .await?
                .unwrap_or(found);
            Ok(challenge_answer(state, &fresh, &user, methods, failure))
        }
        Err(AppError::BadRequest(_)) => Err(expired()),
        Err(other) => Err(other.into()),
    }
}

pub fn routes() -> Vec<Route> {
    routes![login_route, verify, resend]
}
