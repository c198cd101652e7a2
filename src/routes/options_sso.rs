//! The *Single sign-on* section of `/options` (SPEC §2.3): its own form, posted to
//! `/options/sso`, so the rest of Options is not re-sent with it. Saving checks the provider's
//! discovery document first (`services::sso::save`).

use std::collections::HashMap;

use rocket::form::Contextual;
use rocket::http::Status;
use rocket::{FromForm, Route, State, post, routes};
use serde::Serialize;

use crate::auth::{CsrfForm, OwnerUser, RequestMeta};
use crate::domain::sso::{IssuerUrl, PracticeName, SsoMode};
use crate::error::AppError;
use crate::services::sso::{self, SsoInput};
use crate::state::AppState;
use crate::views::{FormState, Page};

/// What the section shows: the form, whether a secret is stored (never the secret), the
/// redirect URI to give the provider and the practice's sign-in link.
#[derive(Serialize)]
pub struct SsoSection {
    pub form: FormState,
    pub secret_set: bool,
    pub redirect_uri: String,
    pub practice_link: Option<String>,
    pub saved: bool,
}

/// The section with the saved settings (or a suggested short name for a first set-up).
pub async fn section(state: &AppState, owner: &OwnerUser, saved: bool) -> Result<SsoSection, AppError> {
    let current = sso::settings_of(state, owner.account.id).await?;
    let mut values = HashMap::new();
    let (secret_set, practice_link) = if let Some(c) = &current {
        values.insert("practice".into(), c.practice.clone());
        values.insert("sso_issuer".into(), c.issuer.clone());
        values.insert("sso_client_id".into(), c.client_id.clone());
        values.insert("sso_mode".into(), c.mode.clone());
        values.insert("sso_second_step".into(), on(c.second_step));
        values.insert("sso_link_by_email".into(), on(c.link_by_email));
        (
            c.client_secret_sealed.is_some(),
            Some(sso::practice_link(state, &c.practice)),
        )
    } else {
        values.insert("practice".into(), suggested_name(&owner.account.name));
        values.insert("sso_mode".into(), "off".into());
        (false, None)
    };
    Ok(SsoSection {
        form: FormState::with_values(values),
        secret_set,
        redirect_uri: sso::redirect_uri(state),
        practice_link,
        saved,
    })
}

fn on(flag: bool) -> String {
    if flag { "on".into() } else { String::new() }
}

/// "Harbor Counseling" → "harbor-counseling".
fn suggested_name(organization: &str) -> String {
    let mut out = String::new();
    for c in organization.chars().flat_map(char::to_lowercase) {
        if c.is_ascii_alphanumeric() {
            out.push(c);
        } else if !out.ends_with('-') && !out.is_empty() {
            out.push('-');
        }
    }
    out.trim_end_matches('-').chars().take(40).collect()
}

#[derive(FromForm)]
struct SsoForm<'r> {
    #[field(default = "")]
    practice: &'r str,
    #[field(default = "")]
    sso_issuer: &'r str,
    #[field(default = "")]
    sso_client_id: &'r str,
    #[field(default = "")]
    sso_client_secret: &'r str,
    #[field(default = "")]
    sso_mode: &'r str,
    #[field(default = "")]
    sso_second_step: &'r str,
    #[field(default = "")]
    sso_link_by_email: &'r str,
}

const ECHO: &[&str] = &[
    "practice",
    "sso_issuer",
    "sso_client_id",
    "sso_mode",
    "sso_second_step",
    "sso_link_by_email",
];

#[post("/options/sso", data = "<form>")]
async fn save(
    state: &State<AppState>,
    owner: OwnerUser,
    form: CsrfForm<Contextual<'_, SsoForm<'_>>>,
    meta: RequestMeta,
) -> Result<Page, AppError> {
    let CsrfForm(form) = form;
    let mut out = FormState::from_context(&form.context, ECHO, &[]);
    if let Some(input) = &form.value {
        let practice = out.take(PracticeName::parse("practice", input.practice));
        let issuer = if input.sso_issuer.trim().is_empty() {
            Some(None)
        } else {
            out.take(IssuerUrl::parse("sso_issuer", input.sso_issuer))
                .map(Some)
        };
        let mode = out.take(SsoMode::parse("sso_mode", input.sso_mode));
        if let (Some(practice), Some(issuer), Some(mode)) = (practice, issuer, mode) {
            let secret = input.sso_client_secret.trim();
            let parsed = SsoInput {
                practice,
                issuer,
                client_id: input.sso_client_id.to_string(),
                client_secret: (!secret.is_empty()).then(|| secret.to_string()),
                mode,
                second_step: input.sso_second_step == "on",
                link_by_email: input.sso_link_by_email == "on",
            };
            match sso::save(state, &owner, parsed, &meta).await {
                Ok(()) => return Ok(Page::see_other("/options?sso_saved=true#sso-h")),
                Err(AppError::Invalid(errors)) => {
                    for error in errors {
                        out.add(error);
                    }
                }
                Err(other) => return Err(other),
            }
        }
    }
    let mut section = section(state, &owner, false).await?;
    section.form = out;
    Ok(Page::WithStatus((
        Status::UnprocessableEntity,
        super::options::render_with_sso(state, &owner, section).await?,
    )))
}

pub fn routes() -> Vec<Route> {
    routes![save]
}
