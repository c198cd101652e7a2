//! One error type for every request path. Use `NotFound` for anything outside the caller's
//! tenant or caseload, `Forbidden` for a page the role may never open, `TooMany` for limits,
//! `Unavailable` when the database does not answer, and `Internal` only for bugs.

use rocket::http::{ContentType, Header, Status};
use rocket::request::Request;
use rocket::response::{self, Responder, Response};
use rocket::{Catcher, catch, catchers};

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("not found")]
    NotFound,
    #[error("forbidden")]
    Forbidden,
    #[error("bad request: {0}")]
    BadRequest(String),
    /// Values that parse but break a rule; each message names its field (422).
    #[error("invalid input")]
    Invalid(Vec<crate::domain::FieldError>),
    /// A unique value (a user ID) was taken by someone else, perhaps a moment ago.
    #[error("conflict")]
    Conflict,
    #[error("too many requests")]
    TooMany { retry_after: i64, message: String },
    #[error("the database is unavailable: {0}")]
    Unavailable(String),
    #[error("internal error: {0}")]
    Internal(String),
}

impl AppError {
    pub fn status(&self) -> Status {
        match self {
            Self::NotFound => Status::NotFound,
            Self::Forbidden => Status::Forbidden,
            Self::BadRequest(_) => Status::BadRequest,
            Self::Invalid(_) => Status::UnprocessableEntity,
            Self::Conflict => Status::Conflict,
            Self::TooMany { .. } => Status::TooManyRequests,
            Self::Unavailable(_) => Status::ServiceUnavailable,
            Self::Internal(_) => Status::InternalServerError,
        }
    }

    /// What the person is told; internal details stay in the log.
    pub fn public_message(&self) -> String {
        match self {
            Self::NotFound => "That page does not exist, or it is not yours to see.".into(),
            Self::Forbidden => "Your role cannot open this page.".into(),
            Self::BadRequest(message) | Self::TooMany { message, .. } => message.clone(),
            Self::Invalid(errors) => errors.iter().map(|e| e.message.as_str()).collect::<Vec<_>>().join(" "),
            Self::Conflict => "That was changed by someone else at the same moment. Please try again.".into(),
            Self::Unavailable(_) => {
                "The service cannot reach its database right now. Nothing was saved; please try again in a minute.".into()
            }
            Self::Internal(_) => "Something went wrong on our side. Nothing was saved.".into(),
        }
    }
}

impl From<sea_orm::DbErr> for AppError {
    fn from(error: sea_orm::DbErr) -> Self {
        use sea_orm::{DbErr, SqlErr};
        if let Some(SqlErr::UniqueConstraintViolation(_)) = error.sql_err() {
            return Self::Conflict;
        }
        match error {
            DbErr::Conn(_) | DbErr::ConnectionAcquire(_) => Self::Unavailable(error.to_string()),
            other => {
                let text = other.to_string();
                // A vanished server or a read-only file is an outage, not a bug.
                let outage = [
                    "connection",
                    "Connection",
                    "readonly",
                    "read-only",
                    "closed",
                    "timed out",
                    "pool",
                ]
                .iter()
                .any(|needle| text.contains(needle));
                if outage {
                    Self::Unavailable(text)
                } else {
                    Self::Internal(text)
                }
            }
        }
    }
}

impl From<rocket::tokio::task::JoinError> for AppError {
    fn from(error: rocket::tokio::task::JoinError) -> Self {
        Self::Internal(error.to_string())
    }
}

impl<'r> Responder<'r, 'static> for AppError {
    fn respond_to(self, request: &'r Request<'_>) -> response::Result<'static> {
        match &self {
            Self::Internal(detail) => log::error!(
                "request {}: internal error on {}: {detail}",
                crate::logging::request::id(request),
                crate::logging::request::safe_path(request)
            ),
            Self::Unavailable(detail) => log::warn!(
                "request {}: database unavailable on {}: {detail}",
                crate::logging::request::id(request),
                crate::logging::request::safe_path(request)
            ),
            _ => {}
        }
        let mut response = error_page(self.status(), &self.public_message());
        if let Self::TooMany { retry_after, .. } = self {
            response.set_header(Header::new("Retry-After", retry_after.max(1).to_string()));
        }
        Ok(response)
    }
}

/// A small self-contained HTML page: it must render even when templates or the database fail.
pub fn error_page(status: Status, message: &str) -> Response<'static> {
    let body = format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><title>{code} {reason} · Outcomes</title><link rel=\"stylesheet\" href=\"/static/site.css\"></head><body><main class=\"narrow\"><h1>{reason}</h1><p role=\"alert\">{message}</p><p><a href=\"/\">Back to Outcomes</a></p></main></body></html>",
        code = status.code,
        reason = status.reason().unwrap_or("Error"),
        message = html_escape(message),
    );
    Response::build()
        .status(status)
        .header(ContentType::HTML)
        .sized_body(body.len(), std::io::Cursor::new(body))
        .finalize()
}

pub fn html_escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

fn catcher_message(status: Status) -> &'static str {
    match status.code {
        400 => "The request could not be understood. Check what you entered and try again.",
        403 => "You are not allowed to do that. If you submitted a form, reload the page and try again.",
        404 => "That page does not exist, or it is not yours to see.",
        413 => "What you sent is too large.",
        415 => "That kind of content is not accepted here.",
        422 => "Some of what you entered could not be read. Go back and check the form.",
        429 => "Too many attempts. Please wait and try again.",
        503 => "The service cannot reach its database right now. Please try again in a minute.",
        _ => "Something went wrong. Nothing was saved.",
    }
}

/// The page every error status without a more specific answer gets.
pub struct ErrorPage(pub Status, pub String);

impl<'r> Responder<'r, 'static> for ErrorPage {
    fn respond_to(self, _request: &'r Request<'_>) -> response::Result<'static> {
        Ok(error_page(self.0, &self.1))
    }
}

#[catch(default)]
fn default_catcher(status: Status, _request: &Request<'_>) -> ErrorPage {
    ErrorPage(status, catcher_message(status).to_string())
}

/// A page behind sign-in, opened while signed out: go to the sign-in page.
fn unauthorized<'r>(_: Status, _: &'r Request<'_>) -> rocket::catcher::BoxFuture<'r> {
    Box::pin(async move {
        Ok(Response::build()
            .status(Status::SeeOther)
            .header(Header::new("Location", "/login"))
            .finalize())
    })
}

pub fn catchers() -> Vec<Catcher> {
    let mut all = catchers![default_catcher];
    all.push(Catcher::new(401, unauthorized));
    all
}
