//! The client details form (new client and update): typed fields, each keeping its own error.

use rocket::FromForm;
use rocket::form::{self, Contextual};

use crate::auth::guards::SignedIn;
use crate::domain::{AgeGroup, Email, FieldError, PersonName, PhoneEntry, StaffId};
use crate::error::AppError;
use crate::routes::fields::Optional;
use crate::services::clients::{self, ClientInput};
use crate::state::AppState;
use crate::views::FormState;

/// The details form. Each field keeps its own result, so one bad field does not hide another's
/// message: the page names every problem at once, including those only the practice's country
/// (phone) or the caseload (provider) can tell.
#[derive(FromForm)]
pub(super) struct ClientForm<'r> {
    #[field(default = "")]
    first_name: &'r str,
    #[field(default = "")]
    last_name: &'r str,
    age_group: form::Result<'r, AgeGroup>,
    phone: form::Result<'r, PhoneEntry>,
    email: form::Result<'r, Optional<Email>>,
    provider_id: form::Result<'r, Optional<StaffId>>,
}

const CLIENT_ECHO: &[&str] = &[
    "first_name",
    "last_name",
    "age_group",
    "phone",
    "email",
    "provider_id",
];

/// A field's value, or its message: `message` when the page has its own words for it, else the
/// parser's.
fn field<T>(name: &'static str, message: Option<&str>, result: form::Result<'_, T>) -> Result<T, FieldError> {
    result.map_err(|errors| {
        let text = message.map_or_else(
            || {
                errors
                    .iter()
                    .next()
                    .map(|e| e.kind.to_string())
                    .unwrap_or_default()
            },
            str::to_string,
        );
        FieldError::new(name, text)
    })
}

async fn parse(
    state: &AppState,
    actor: &SignedIn,
    form: ClientForm<'_>,
    out: &mut FormState,
) -> Result<Option<ClientInput>, AppError> {
    let first_name = out.take(PersonName::parse("first_name", "First name", form.first_name));
    let last_name = out.take(PersonName::parse("last_name", "Last name", form.last_name));
    let age_group = out.take(field(
        "age_group",
        Some("Choose adult, adolescent or child."),
        form.age_group,
    ));
    let phone = out.take(field("phone", None, form.phone).and_then(|p| {
        let region = crate::services::practice::locale(state, &actor.account).region;
        p.resolve("phone", region.code())
    }));
    let email = out.take(field("email", None, form.email).map(Optional::into_inner));
    let provider_id = out.take(match form.provider_id {
        Ok(chosen) => clients::check_provider(&state.db, actor, chosen.into_inner()).await?,
        Err(_) => Err(FieldError::new("provider_id", clients::CHOOSE_A_PROVIDER)),
    });
    if !out.is_valid() {
        return Ok(None);
    }
    Ok((|| {
        Some(ClientInput {
            first_name: first_name?,
            last_name: last_name?,
            age_group: age_group?,
            phone: phone?,
            email: email?,
            provider_id: provider_id?,
        })
    })())
}

/// Reads the details form: the input when every field is good, else the form to send back.
pub(super) async fn read(
    state: &AppState,
    actor: &SignedIn,
    form: Contextual<'_, ClientForm<'_>>,
) -> Result<Result<ClientInput, FormState>, AppError> {
    let mut out = FormState::from_context(&form.context, CLIENT_ECHO, &[]);
    let input = match form.value {
        Some(fields) => parse(state, actor, fields, &mut out).await?,
        // Every field has a default or keeps its own error; nothing is left to fail here.
        None => None,
    };
    Ok(input.ok_or(out))
}
