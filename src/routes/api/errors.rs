//! The error answers each endpoint of the API can give, as the OpenAPI document lists them: one
//! set per endpoint, read off its handler, its guards and the services it calls (see
//! docs/api.md for when each happens). Every body is `ErrorJson`.
//!
//! Shared causes: a body is read by `api::body` (400 `malformed_json`, 413 `too_large`, 422
//! `invalid`); a bearer token by `ApiUser` (401 `unauthorized`), a role by `ApiStaff` and
//! `ApiClient` (403 `forbidden`); every endpoint that reads the database answers 503
//! `unavailable` when it cannot.
#![allow(dead_code)]

use utoipa::IntoResponses;

use super::openapi::ErrorJson;

/// `POST /api/v1/login`.
#[derive(IntoResponses)]
pub enum LoginErrors {
    /// `malformed_json`: the body is not JSON.
    #[response(status = 400)]
    BadRequest(ErrorJson),
    /// `invalid_credentials`: wrong user ID or password (the same answer for both).
    #[response(status = 401)]
    Unauthorized(ErrorJson),
    /// `sso_required`, `phone_required`, `authenticator_setup_required` or
    /// `passkey_setup_required`: this person cannot finish signing in from the app.
    #[response(status = 403)]
    Forbidden(ErrorJson),
    /// `too_large`: the body is over 64 KiB.
    #[response(status = 413)]
    TooLarge(ErrorJson),
    /// `invalid`: the body lacks `user_id` or `password`, or a field has the wrong type.
    #[response(status = 422)]
    Invalid(ErrorJson),
    /// `rate_limited`: too many wrong passwords, or a text limit reached; wait `Retry-After`.
    #[response(status = 429)]
    RateLimited(ErrorJson),
    /// `unavailable`: the database cannot be reached.
    #[response(status = 503)]
    Unavailable(ErrorJson),
}

/// `POST /api/v1/login/verify`.
#[derive(IntoResponses)]
pub enum VerifyErrors {
    /// `malformed_json`: the body is not JSON.
    #[response(status = 400)]
    BadRequest(ErrorJson),
    /// `invalid_code`: a wrong code, or an unknown `challenge_id`.
    #[response(status = 401)]
    Unauthorized(ErrorJson),
    /// `authenticator_setup_required` or `passkey_setup_required`.
    #[response(status = 403)]
    Forbidden(ErrorJson),
    /// `challenge_expired`: sign in again for a new code.
    #[response(status = 410)]
    Gone(ErrorJson),
    /// `too_large`: the body is over 64 KiB.
    #[response(status = 413)]
    TooLarge(ErrorJson),
    /// `invalid`: a missing field, or a `method` this person cannot use (`field` names it).
    #[response(status = 422)]
    Invalid(ErrorJson),
    /// `rate_limited`: too many wrong codes; codes are locked for an hour.
    #[response(status = 429)]
    RateLimited(ErrorJson),
    /// `unavailable`: the database cannot be reached.
    #[response(status = 503)]
    Unavailable(ErrorJson),
}

/// `POST /api/v1/login/resend`.
#[derive(IntoResponses)]
pub enum ResendErrors {
    /// `malformed_json`: the body is not JSON.
    #[response(status = 400)]
    BadRequest(ErrorJson),
    /// `invalid_code`: an unknown `challenge_id`.
    #[response(status = 401)]
    Unauthorized(ErrorJson),
    /// `sms_not_allowed`: texted codes are not available to this person.
    #[response(status = 403)]
    Forbidden(ErrorJson),
    /// `challenge_expired`: no more codes for this challenge; sign in again.
    #[response(status = 410)]
    Gone(ErrorJson),
    /// `too_large`: the body is over 64 KiB.
    #[response(status = 413)]
    TooLarge(ErrorJson),
    /// `invalid`: the body lacks `challenge_id`.
    #[response(status = 422)]
    Invalid(ErrorJson),
    /// `rate_limited`: wait before asking again, or a text limit reached.
    #[response(status = 429)]
    RateLimited(ErrorJson),
    /// `unavailable`: the database cannot be reached.
    #[response(status = 503)]
    Unavailable(ErrorJson),
}

/// `POST /api/v1/login/passkey/options`.
#[derive(IntoResponses)]
pub enum PasskeyOptionsErrors {
    /// `bad_request`: passkeys are not available on this server (`public_url` names no host).
    #[response(status = 400)]
    BadRequest(ErrorJson),
    /// `unavailable`: the database cannot be reached.
    #[response(status = 503)]
    Unavailable(ErrorJson),
}

/// `POST /api/v1/login/passkey`.
#[derive(IntoResponses)]
pub enum PasskeyLoginErrors {
    /// `malformed_json`, or `bad_request`: the credential could not be checked.
    #[response(status = 400)]
    BadRequest(ErrorJson),
    /// `passkey_refused`: the passkey could not sign anyone in.
    #[response(status = 401)]
    Unauthorized(ErrorJson),
    /// `too_large`: the body is over 64 KiB.
    #[response(status = 413)]
    TooLarge(ErrorJson),
    /// `invalid`: the body lacks `credential`.
    #[response(status = 422)]
    Invalid(ErrorJson),
    /// `unavailable`: the database cannot be reached.
    #[response(status = 503)]
    Unavailable(ErrorJson),
}

/// Endpoints any signed-in person may call (`/logout`, `/me`).
#[derive(IntoResponses)]
pub enum SignedInErrors {
    /// `unauthorized`: no valid bearer token.
    #[response(status = 401)]
    Unauthorized(ErrorJson),
    /// `unavailable`: the database cannot be reached.
    #[response(status = 503)]
    Unavailable(ErrorJson),
}

/// `GET /api/v1/clients` and `GET /api/v1/my/measures`: a token of the right role.
#[derive(IntoResponses)]
pub enum RoleErrors {
    /// `unauthorized`: no valid bearer token.
    #[response(status = 401)]
    Unauthorized(ErrorJson),
    /// `forbidden`: the token's role cannot use this endpoint.
    #[response(status = 403)]
    Forbidden(ErrorJson),
    /// `unavailable`: the database cannot be reached.
    #[response(status = 503)]
    Unavailable(ErrorJson),
}

/// `GET /api/v1/clients/{id}`.
#[derive(IntoResponses)]
pub enum ClientErrors {
    /// `unauthorized`: no valid bearer token.
    #[response(status = 401)]
    Unauthorized(ErrorJson),
    /// `forbidden`: clients cannot use this endpoint.
    #[response(status = 403)]
    Forbidden(ErrorJson),
    /// `not_found`: no such client, or not in the caller's caseload.
    #[response(status = 404)]
    NotFound(ErrorJson),
    /// `invalid`: the id is not a client id.
    #[response(status = 422)]
    Invalid(ErrorJson),
    /// `unavailable`: the database cannot be reached.
    #[response(status = 503)]
    Unavailable(ErrorJson),
}

/// `POST /api/v1/clients/{id}/ratings` and `POST /api/v1/my/measures/{measure}`.
#[derive(IntoResponses)]
pub enum RatingErrors {
    /// `malformed_json`: the body is not JSON.
    #[response(status = 400)]
    BadRequest(ErrorJson),
    /// `unauthorized`: no valid bearer token.
    #[response(status = 401)]
    Unauthorized(ErrorJson),
    /// `forbidden`: the token's role cannot use this endpoint.
    #[response(status = 403)]
    Forbidden(ErrorJson),
    /// `not_found`: no such client or measure, or not the caller's to rate.
    #[response(status = 404)]
    NotFound(ErrorJson),
    /// `conflict`: that session already has this measure.
    #[response(status = 409)]
    Conflict(ErrorJson),
    /// `too_large`: the body is over 64 KiB.
    #[response(status = 413)]
    TooLarge(ErrorJson),
    /// `invalid`: a score or field that cannot be read (`field` names it), or a bad id.
    #[response(status = 422)]
    Invalid(ErrorJson),
    /// `unavailable`: the database cannot be reached.
    #[response(status = 503)]
    Unavailable(ErrorJson),
}
