//! `/api/v1`: the mobile app's JSON API. Same rules as the web (passwords, throttling, who needs
//! a code, caseload scoping); bearer tokens instead of cookies; errors always as
//! `{"error": {"code", "message"}}`.

use rocket::data::{Data, Limits, ToByteUnit};
use rocket::http::{Header, Status};
use rocket::response::{self, Responder, Response};
use rocket::serde::json::{Json, Value, json};
use rocket::{Catcher, Request, Route, State, catch, catchers, get, post, routes};
use serde::Deserialize;
use serde::de::DeserializeOwned;

use entities::{account, challenge, user};

use crate::auth::api::{self, ApiUser};
use crate::auth::device::{self, Agent, DeviceToken, KIND_APP, NewRegistration};
use crate::auth::guards::{Acting, RequestMeta};
use crate::domain::Role;
use crate::domain::measures::MeasureId;
use crate::domain::phone::mask;
use crate::error::AppError;
use crate::services::audit::{self, Event};
use crate::services::outcomes::{self, Source, Submission};
use crate::services::two_factor::{self, Factors, Method, Requirement, Verification};
use crate::services::{clients, dashboards, devices, login};
use crate::state::AppState;

/// An API error: status, a stable code, a message for people, and sometimes the field.
#[derive(Debug)]
pub struct ApiError {
    status: Status,
    code: &'static str,
    message: String,
    field: Option<String>,
    retry_after: Option<i64>,
}

impl ApiError {
    fn new(status: Status, code: &'static str, message: impl Into<String>) -> Self {
        Self {
            status,
            code,
            message: message.into(),
            field: None,
            retry_after: None,
        }
    }
}

impl From<AppError> for ApiError {
    fn from(error: AppError) -> Self {
        let message = error.public_message();
        match error {
            AppError::NotFound => Self::new(Status::NotFound, "not_found", message),
            AppError::Forbidden => Self::new(
                Status::Forbidden,
                "forbidden",
                "Your role cannot use this endpoint.",
            ),
            AppError::BadRequest(m) => Self::new(Status::BadRequest, "bad_request", m),
            AppError::Invalid(errors) => Self {
                field: errors.first().map(|e| e.field.to_string()),
                ..Self::new(Status::UnprocessableEntity, "invalid", message)
            },
            AppError::Conflict => Self::new(Status::Conflict, "conflict", message),
            AppError::TooMany { retry_after, message } => Self {
                retry_after: Some(retry_after),
                ..Self::new(Status::TooManyRequests, "rate_limited", message)
            },
            AppError::Unavailable(_) => Self::new(Status::ServiceUnavailable, "unavailable", message),
            AppError::Internal(detail) => {
                log::error!("API internal error: {detail}");
                Self::new(Status::InternalServerError, "internal", message)
            }
        }
    }
}

impl<'r> Responder<'r, 'static> for ApiError {
    fn respond_to(self, request: &'r Request<'_>) -> response::Result<'static> {
        let mut body = json!({"error": {"code": self.code, "message": self.message}});
        if let Some(field) = self.field {
            body["error"]["field"] = Value::String(field);
        }
        let mut response = Response::build_from((self.status, Json(body)).respond_to(request)?);
        if let Some(seconds) = self.retry_after {
            response.header(Header::new("Retry-After", seconds.max(1).to_string()));
        }
        Ok(response.finalize())
    }
}

type ApiResult<T> = Result<T, ApiError>;

/// Reads a JSON body: malformed JSON is 400; JSON of the wrong shape is 422 naming the problem.
async fn body<T: DeserializeOwned>(limits: &Limits, data: Data<'_>) -> ApiResult<T> {
    let limit = limits.get("json").unwrap_or(64.kibibytes());
    let bytes = data.open(limit).into_bytes().await.map_err(|_| {
        ApiError::new(
            Status::BadRequest,
            "malformed_json",
            "The body could not be read.",
        )
    })?;
    if !bytes.is_complete() {
        return Err(ApiError::new(
            Status::PayloadTooLarge,
            "too_large",
            "The body is too large.",
        ));
    }
    let value: Value = serde_json::from_slice(&bytes).map_err(|e| {
        ApiError::new(
            Status::BadRequest,
            "malformed_json",
            format!("The body is not valid JSON: {e}."),
        )
    })?;
    serde_json::from_value(value).map_err(|e| {
        ApiError::new(
            Status::UnprocessableEntity,
            "invalid",
            format!("The body does not have the expected fields: {e}."),
        )
    })
}

fn user_json(user: &user::Model) -> Value {
    json!({"id": user.id, "role": user.role, "name": user.full_name})
}

async fn signed_in(
    state: &AppState,
    user: &user::Model,
    factors: &str,
    device_token: Option<String>,
    ip: Option<String>,
) -> ApiResult<(Status, Json<Value>)> {
    let (token, expires_in) = api::issue(&state.db, state.now(), user, factors).await?;
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
    factors: Factors,
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
            return signed_in(state, &user, "password", None, meta.ip.clone()).await;
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
        return signed_in(state, &user, "password+device", None, meta.ip.clone()).await;
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
            let factors = format!("password+{}", method.as_str());
            signed_in(state, &user, &factors, Some(token.value()), meta.ip).await
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

fn staff_only(caller: &ApiUser) -> ApiResult<()> {
    if caller.role().is_staff() {
        Ok(())
    } else {
        Err(AppError::Forbidden.into())
    }
}

#[get("/clients")]
async fn caseload(state: &State<AppState>, caller: ApiUser) -> ApiResult<Json<Value>> {
    staff_only(&caller)?;
    let rows = dashboards::caseload(&state.db, &caller).await?;
    Ok(Json(json!({"clients": rows})))
}

#[get("/clients/<id>")]
async fn client(state: &State<AppState>, caller: ApiUser, id: i32) -> ApiResult<Json<outcomes::ClientJson>> {
    staff_only(&caller)?;
    let client = clients::find(&state.db, &caller, id).await?;
    let settings = outcomes::settings(&state.db, client.account_id).await?;
    let record = outcomes::client_record(&state.db, &client, &settings).await?;
    audit::record(
        &state.db,
        state.now(),
        Event::new("client.viewed", "success")
            .account(client.account_id)
            .actor(caller.user.id)
            .subject(format!("client {}", client.id))
            .details("mobile app"),
    )
    .await?;
    Ok(Json(outcomes::client_json(&client, record.as_ref())))
}

#[derive(Deserialize)]
struct RatingBody {
    measure: String,
    session: Option<i32>,
    items: Option<Vec<f64>>,
    total: Option<f64>,
}

/// Turns a JSON rating into the same submission the forms make, so the same rules apply.
async fn record_rating(
    state: &AppState,
    actor: &user::Model,
    client: &user::Model,
    input: RatingBody,
    source: Source,
) -> ApiResult<(Status, Json<Value>)> {
    let settings = outcomes::settings(&state.db, client.account_id).await?;
    let items: Vec<String> = input
        .items
        .unwrap_or_default()
        .iter()
        .map(|v| v.to_string())
        .collect();
    let session = input.session.map(|s| s.to_string()).unwrap_or_default();
    let total = input.total.map(|t| t.to_string()).unwrap_or_default();
    let submission = Submission {
        measure: &input.measure,
        session: &session,
        items: items.iter().map(String::as_str).collect(),
        total: &total,
    };
    let (id, session, values) =
        outcomes::parse_submission(&settings, client, &submission).map_err(AppError::Invalid)?;
    let stored = outcomes::record(state, actor.id, client, id, session, values, source).await?;
    Ok((
        Status::Created,
        Json(
            json!({"measure": stored.measure, "session": stored.session, "total": stored.total, "items": serde_json::from_str::<Value>(&stored.items).unwrap_or(Value::Null)}),
        ),
    ))
}

#[post("/clients/<id>/ratings", data = "<data>")]
async fn add_rating(
    state: &State<AppState>,
    limits: &Limits,
    caller: ApiUser,
    id: i32,
    data: Data<'_>,
) -> ApiResult<(Status, Json<Value>)> {
    staff_only(&caller)?;
    let client = clients::find(&state.db, &caller, id).await?;
    let input: RatingBody = body(limits, data).await?;
    let source = if input.total.is_some() {
        Source::Paper
    } else {
        Source::Clinician
    };
    record_rating(state, caller.acting_user(), &client, input, source).await
}

fn client_only(caller: &ApiUser) -> ApiResult<()> {
    if caller.role() == Role::Client {
        Ok(())
    } else {
        Err(AppError::Forbidden.into())
    }
}

#[get("/my/measures")]
async fn my_measures(state: &State<AppState>, caller: ApiUser) -> ApiResult<Json<Value>> {
    client_only(&caller)?;
    let pending = outcomes::pending_measures(&state.db, &caller.user).await?;
    Ok(Json(json!({"pending": pending})))
}

#[derive(Deserialize)]
struct MyRatingBody {
    items: Vec<f64>,
}

#[post("/my/measures/<measure>", data = "<data>")]
async fn my_submit(
    state: &State<AppState>,
    limits: &Limits,
    caller: ApiUser,
    measure: &str,
    data: Data<'_>,
) -> ApiResult<(Status, Json<Value>)> {
    client_only(&caller)?;
    let input: MyRatingBody = body(limits, data).await?;
    let id = MeasureId::parse(measure).ok_or(AppError::NotFound)?;
    let settings = outcomes::settings(&state.db, caller.user.account_id).await?;
    if !outcomes::measures_for(&settings, outcomes::age_of(&caller.user)).contains(&id) {
        return Err(AppError::NotFound.into());
    }
    outcomes::check_due(&state.db, &caller.user, id).await?;
    let rating = RatingBody {
        measure: measure.to_string(),
        session: None,
        items: Some(input.items),
        total: None,
    };
    let me = caller.user.clone();
    record_rating(state, &me, &me, rating, Source::Client).await
}

pub fn routes() -> Vec<Route> {
    routes![
        login_route,
        verify,
        resend,
        logout,
        me,
        caseload,
        client,
        add_rating,
        my_measures,
        my_submit
    ]
}

fn catcher_body(status: Status) -> ApiError {
    let (code, message) = match status.code {
        400 => ("malformed_json", "The request could not be read."),
        401 => ("unauthorized", "A valid bearer token is required: sign in again."),
        403 => ("forbidden", "Your role cannot use this endpoint."),
        404 => (
            "not_found",
            "There is no such resource, or it is not yours to see.",
        ),
        413 => ("too_large", "The body is too large."),
        422 => ("invalid", "The request has values that could not be read."),
        429 => ("rate_limited", "Too many requests; wait and try again."),
        503 => ("unavailable", "The service cannot reach its database right now."),
        _ => ("error", "The request failed."),
    };
    ApiError::new(status, code, message)
}

#[catch(default)]
fn api_catcher(status: Status, _request: &Request<'_>) -> ApiError {
    catcher_body(status)
}

pub fn api_catchers() -> Vec<Catcher> {
    catchers![api_catcher]
}
