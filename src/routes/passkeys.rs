//! Passkeys on `/security` (SPEC §2.1): the ceremony's JSON endpoints the page's script calls
//! (`X-CSRF-Token` header), and the plain forms to rename and remove one.

use rocket::form::Contextual;
use rocket::http::Status;
use rocket::serde::json::Json;
use rocket::{FromForm, Route, State, post, routes};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::auth::{CsrfForm, CsrfHeader, CurrentUser, RequestMeta};
use crate::domain::{PasskeyId, PasskeyName};
use crate::error::AppError;
use crate::routes::api::{ApiError, ApiResult};
use crate::services::second_step::passkey;
use crate::services::sign_in::password;
use crate::state::AppState;
use crate::views::Page;

#[derive(Deserialize)]
struct OptionsBody {
    #[serde(default)]
    current_password: String,
}

/// Creation options for a new passkey, after the current password.
#[post("/security/passkeys/options", data = "<body>")]
async fn options(
    state: &State<AppState>,
    user: CurrentUser,
    _csrf: CsrfHeader,
    body: Json<OptionsBody>,
    meta: RequestMeta,
) -> ApiResult<Json<Value>> {
    if !password::verify_current(state, &user.user, &body.current_password, &meta).await? {
        return Err(ApiError {
            field: Some("current_password".into()),
            ..ApiError::new(
                Status::UnprocessableEntity,
                "invalid",
                "That is not your current password.",
            )
        });
    }
    Ok(Json(passkey::start_registration(state, &user.user).await?))
}

#[derive(Deserialize)]
pub struct NewPasskeyBody {
    #[serde(default)]
    pub name: String,
    pub credential: Value,
}

#[derive(Serialize)]
pub struct AddedJson {
    pub id: i32,
    pub name: String,
}

/// Reads a passkey's name from a JSON body; a bad one is 422 naming the field.
pub fn name_from(raw: &str) -> Result<PasskeyName, ApiError> {
    PasskeyName::parse("name", raw).map_err(|e| ApiError {
        field: Some("name".into()),
        ..ApiError::new(Status::UnprocessableEntity, "invalid", e.message)
    })
}

/// The browser's new credential: stored, audited, e-mailed; `201`.
#[post("/security/passkeys", data = "<body>")]
async fn add(
    state: &State<AppState>,
    user: CurrentUser,
    _csrf: CsrfHeader,
    body: Json<NewPasskeyBody>,
    meta: RequestMeta,
) -> ApiResult<(Status, Json<AddedJson>)> {
    let name = name_from(&body.name)?;
    let added = passkey::finish_registration(state, &user.user, &name, &body.credential, meta.ip).await?;
    Ok((
        Status::Created,
        Json(AddedJson {
            id: added.id,
            name: added.name,
        }),
    ))
}

#[derive(FromForm)]
struct RenameForm<'r> {
    #[field(default = "")]
    name: &'r str,
}

#[post("/security/passkeys/<id>/rename", data = "<form>")]
async fn rename(
    state: &State<AppState>,
    user: CurrentUser,
    id: PasskeyId,
    form: CsrfForm<Contextual<'_, RenameForm<'_>>>,
) -> Result<Page, AppError> {
    let CsrfForm(form) = form;
    let raw = form.value.map_or("", |f| f.name);
    match PasskeyName::parse("name", raw) {
        Ok(name) => {
            passkey::rename(state, &user.user, id.get(), &name).await?;
            Ok(Page::see_other("/security?passkey=renamed"))
        }
        Err(error) => {
            crate::routes::security::refused_page(state, &user, "passkey_name", &error.message).await
        }
    }
}

#[derive(FromForm)]
struct RemoveForm<'r> {
    #[field(default = "")]
    current_password: &'r str,
}

/// Removes a passkey after the current password (every change on `/security` asks for it).
#[post("/security/passkeys/<id>/remove", data = "<form>")]
async fn remove(
    state: &State<AppState>,
    user: CurrentUser,
    id: PasskeyId,
    form: CsrfForm<Contextual<'_, RemoveForm<'_>>>,
    meta: RequestMeta,
) -> Result<Page, AppError> {
    let CsrfForm(form) = form;
    let typed = form.value.map_or("", |f| f.current_password);
    if !password::verify_current(state, &user.user, typed, &meta).await? {
        return crate::routes::security::refused_page(
            state,
            &user,
            "passkey_password",
            "That is not your current password.",
        )
        .await;
    }
    passkey::remove(state, &user.user, id.get(), meta.ip).await?;
    Ok(Page::see_other("/security?passkey=removed"))
}

pub fn routes() -> Vec<Route> {
    routes![options, add, rename, remove]
}
