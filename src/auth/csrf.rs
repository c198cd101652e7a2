//! CSRF protection: a per-session token (or, before sign-in, one in a private cookie) that every
//! POST form must carry as `csrf_token`; `CsrfForm` and `CsrfChecked` refuse a form without it
//! (403).

use rocket::data::ToByteUnit;
use rocket::data::{self, Data, FromData};
use rocket::form::name::NameView;
use rocket::form::{Form, FromForm, ValueField};
use rocket::http::{Cookie, SameSite, Status};
use rocket::outcome::Outcome;
use rocket::request::{self, FromRequest, Request};

use super::guards::lookup;
use super::session::cookie_name;
use super::tokens::{constant_time_eq, random_token};
use crate::state::AppState;

const ANON_COOKIE: &str = "outcomes_csrf";

fn https(request: &Request<'_>) -> bool {
    request
        .rocket()
        .state::<AppState>()
        .is_some_and(|s| s.settings.https())
}

/// The token the current form must carry.
async fn expected(request: &Request<'_>) -> Result<Option<String>, Status> {
    if let Some(signed) = lookup(request).await? {
        return Ok(Some(signed.session.csrf_token));
    }
    Ok(request
        .cookies()
        .get_private(&cookie_name(https(request), ANON_COOKIE))
        .map(|c| c.value().to_string()))
}

/// The token to embed in a form being rendered (created for anonymous visitors if needed).
#[derive(Debug, Clone)]
pub struct CsrfToken(pub String);

#[rocket::async_trait]
impl<'r> FromRequest<'r> for CsrfToken {
    type Error = ();

    async fn from_request(request: &'r Request<'_>) -> request::Outcome<Self, ()> {
        match expected(request).await {
            Ok(Some(token)) => Outcome::Success(Self(token)),
            Ok(None) => {
                let token = random_token::<32>();
                let secure = https(request);
                let cookie = Cookie::build((cookie_name(secure, ANON_COOKIE), token.clone()))
                    .http_only(true)
                    .same_site(SameSite::Lax)
                    .path("/")
                    .secure(secure);
                request.cookies().add_private(cookie);
                Outcome::Success(Self(token))
            }
            Err(status) => Outcome::Error((status, ())),
        }
    }
}

/// The decoded fields of a form body whose CSRF token checked out. Invalid UTF-8 is replaced,
/// never an error.
struct CheckedBody(Vec<(String, String)>);

/// Reads a form body and checks its `csrf_token`; `Err` is the status to answer.
pub async fn read_checked(request: &Request<'_>, data: Data<'_>) -> Result<Vec<(String, String)>, Status> {
    // Anything but a form body cannot carry the token: the same 403 as a missing token.
    if !request.content_type().is_some_and(|c| c.is_form()) {
        return Err(Status::Forbidden);
    }
    let limit = request.limits().get("form").unwrap_or(64.kibibytes());
    let body = match data.open(limit).into_bytes().await {
        Ok(body) if body.is_complete() => body.into_inner(),
        Ok(_) => return Err(Status::PayloadTooLarge),
        Err(_) => return Err(Status::BadRequest),
    };
    let pairs: Vec<(String, String)> = url::form_urlencoded::parse(&body).into_owned().collect();
    let expected = expected(request).await?;
    let submitted = pairs
        .iter()
        .find(|(name, _)| name == "csrf_token")
        .map_or("", |(_, value)| value.as_str());
    match expected {
        // SECURITY: compare in constant time; a missing or wrong token is 403.
        Some(token) if !submitted.is_empty() && constant_time_eq(submitted, &token) => Ok(pairs),
        _ => Err(Status::Forbidden),
    }
}

/// A posted form whose CSRF token checked out, parsed into `T` — usually
/// `Contextual<'r, SomeForm>`, which keeps what was typed and each field's error for
/// re-rendering the form.
pub struct CsrfForm<T>(pub T);

#[rocket::async_trait]
impl<'r, T: FromForm<'r> + Send + 'r> FromData<'r> for CsrfForm<T> {
    type Error = ();

    async fn from_data(request: &'r Request<'_>, data: Data<'r>) -> data::Outcome<'r, Self> {
        let pairs = match read_checked(request, data).await {
            Ok(pairs) => pairs,
            Err(status) => return Outcome::Error((status, ())),
        };
        // Kept for the whole request, so the parsed form may borrow from it.
        let body: &'r CheckedBody = request.local_cache(|| CheckedBody(pairs));
        let fields = body.0.iter().map(|(name, value)| ValueField {
            name: NameView::new(name.as_str()),
            value: value.as_str(),
        });
        match Form::<T>::parse_iter(fields) {
            Ok(value) => Outcome::Success(Self(value)),
            Err(_) => Outcome::Error((Status::UnprocessableEntity, ())),
        }
    }
}

/// A posted form that carries nothing but its CSRF token (a button).
pub struct CsrfChecked;

#[rocket::async_trait]
impl<'r> FromData<'r> for CsrfChecked {
    type Error = ();

    async fn from_data(request: &'r Request<'_>, data: Data<'r>) -> data::Outcome<'r, Self> {
        match read_checked(request, data).await {
            Ok(_) => Outcome::Success(Self),
            Err(status) => Outcome::Error((status, ())),
        }
    }
}

/// The CSRF check of the JSON endpoints the pages' scripts call (the passkey ceremonies): the
/// token in an `X-CSRF-Token` header, compared in constant time with the session's (or, before
/// sign-in, the anonymous cookie's). A JSON body cannot be sent across sites without a
/// preflight either; the header makes the rule the same as for forms.
pub struct CsrfHeader;

#[rocket::async_trait]
impl<'r> FromRequest<'r> for CsrfHeader {
    type Error = ();

    async fn from_request(request: &'r Request<'_>) -> request::Outcome<Self, ()> {
        let expected = match expected(request).await {
            Ok(token) => token,
            Err(status) => return Outcome::Error((status, ())),
        };
        let sent = request.headers().get_one("X-CSRF-Token").unwrap_or_default();
        match expected {
            // SECURITY: a missing or wrong token is 403, as for forms.
            Some(token) if !sent.is_empty() && constant_time_eq(sent, &token) => Outcome::Success(Self),
            _ => Outcome::Error((Status::Forbidden, ())),
        }
    }
}
