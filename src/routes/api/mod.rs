//! `/api/v1`: the mobile app's JSON API. Same rules as the web (passwords, throttling, who needs
//! a code, caseload scoping); bearer tokens instead of cookies; errors always as
//! `{"error": {"code", "message"}}`.

mod clients;
mod errors;
mod login;
mod my;
pub mod openapi;
mod passkey;
mod session;

use rocket::data::{Data, Limits, ToByteUnit};
use rocket::http::{Header, Status};
use rocket::response::{self, Responder, Response};
use rocket::serde::json::{Json, Value};
use rocket::{Catcher, Request, Route, catch, catchers};
use serde::de::DeserializeOwned;

use crate::error::AppError;

/// An API error: status, a stable code, a message for people, and sometimes the field.
#[derive(Debug)]
pub struct ApiError {
    pub(super) status: Status,
    pub(super) code: &'static str,
    pub(super) message: String,
    pub(crate) field: Option<String>,
    pub(super) retry_after: Option<i64>,
}

impl ApiError {
    pub(crate) fn new(status: Status, code: &'static str, message: impl Into<String>) -> Self {
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
        let body = openapi::ErrorJson {
            error: openapi::ErrorDetail {
                code: self.code.into(),
                message: self.message,
                field: self.field,
            },
        };
        let mut response = Response::build_from((self.status, Json(body)).respond_to(request)?);
        if let Some(seconds) = self.retry_after {
            response.header(Header::new("Retry-After", seconds.max(1).to_string()));
        }
        Ok(response.finalize())
    }
}

pub(crate) type ApiResult<T> = Result<T, ApiError>;

/// Reads a JSON body: malformed JSON is 400; JSON of the wrong shape is 422 naming the problem.
pub(crate) async fn body<T: DeserializeOwned>(limits: &Limits, data: Data<'_>) -> ApiResult<T> {
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

pub fn routes() -> Vec<Route> {
    [
        login::routes(),
        passkey::routes(),
        session::routes(),
        clients::routes(),
        my::routes(),
        openapi::routes(),
    ]
    .concat()
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
