//! The edge: form fields and path segments parsed into domain types before a handler sees
//! them, each refusal a message for its field.

use rocket::form::{self, FromFormField, ValueField};
use rocket::request::FromParam;

use crate::domain::asking::Asking;
use crate::domain::measures::MeasureId;
use crate::domain::{
    ClientId, DeviceId, Email, FieldError, PasskeyId, PhoneEntry, PhoneRegion, SessionNumber, StaffId,
    TimeZone,
};
use crate::services::second_step::Method;

fn refused<'v>(error: FieldError) -> form::Errors<'v> {
    form::Error::validation(error.message).into()
}

/// A field that may be left blank: blank (or missing) is `None`; anything else must parse.
/// (Rocket's own `Option` turns a value that fails to parse into `None`, which would drop
/// what the person typed without a word.)
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Optional<T>(pub Option<T>);

impl<T> Optional<T> {
    pub fn into_inner(self) -> Option<T> {
        self.0
    }
}

#[rocket::async_trait]
impl<'v, T: FromFormField<'v>> FromFormField<'v> for Optional<T> {
    fn from_value(field: ValueField<'v>) -> form::Result<'v, Self> {
        if field.value.trim().is_empty() {
            return Ok(Self(None));
        }
        T::from_value(field).map(|value| Self(Some(value)))
    }

    fn default() -> Option<Self> {
        Some(Self(None))
    }
}

#[rocket::async_trait]
impl<'v> FromFormField<'v> for Email {
    fn from_value(field: ValueField<'v>) -> form::Result<'v, Self> {
        Email::parse("email", field.value).map_err(refused)
    }
}

#[rocket::async_trait]
impl<'v> FromFormField<'v> for PhoneEntry {
    fn from_value(field: ValueField<'v>) -> form::Result<'v, Self> {
        PhoneEntry::parse("phone", field.value).map_err(refused)
    }

    fn default() -> Option<Self> {
        PhoneEntry::parse("phone", "").ok()
    }
}

#[rocket::async_trait]
impl<'v> FromFormField<'v> for Asking {
    fn from_value(field: ValueField<'v>) -> form::Result<'v, Self> {
        Asking::parse("asking", field.value).map_err(refused)
    }
}

#[rocket::async_trait]
impl<'v> FromFormField<'v> for MeasureId {
    fn from_value(field: ValueField<'v>) -> form::Result<'v, Self> {
        MeasureId::parse(field.value).ok_or_else(|| form::Error::validation("Choose a measure.").into())
    }
}

macro_rules! id_param {
    ($name:ident) => {
        impl<'a> FromParam<'a> for $name {
            type Error = std::num::ParseIntError;

            fn from_param(param: &'a str) -> Result<Self, Self::Error> {
                param.parse::<i32>().map($name::new)
            }
        }
    };
}

id_param!(ClientId);
id_param!(StaffId);
id_param!(DeviceId);
id_param!(PasskeyId);

#[rocket::async_trait]
impl<'v> FromFormField<'v> for Method {
    fn from_value(field: ValueField<'v>) -> form::Result<'v, Self> {
        Method::parse(field.value).ok_or_else(|| form::Error::validation("Choose a way to sign in.").into())
    }
}

/// A value read after trimming the spaces around it, as the pages always did (Rocket's own
/// numbers refuse `" 5"`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Trimmed<T>(pub T);

#[rocket::async_trait]
impl<'v, T: std::str::FromStr + Send> FromFormField<'v> for Trimmed<T> {
    fn from_value(field: ValueField<'v>) -> form::Result<'v, Self> {
        field
            .value
            .trim()
            .parse()
            .map(Self)
            .map_err(|_| form::Error::validation("Enter a number.").into())
    }
}

/// For `#[field(validate = within(min, max))]`: the number lies in `min..=max` (never NaN).
pub fn within<'v, T: PartialOrd>(value: &Trimmed<T>, min: T, max: T) -> form::Result<'v, ()> {
    if (min..=max).contains(&value.0) {
        Ok(())
    } else {
        Err(form::Error::validation("That number is out of range.").into())
    }
}

/// A checkbox: ticked when sent with its value `on`; anything else, or nothing, is unticked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Checkbox(pub bool);

#[rocket::async_trait]
impl<'v> FromFormField<'v> for Checkbox {
    fn from_value(field: ValueField<'v>) -> form::Result<'v, Self> {
        Ok(Self(field.value == "on"))
    }

    fn default() -> Option<Self> {
        Some(Self(false))
    }
}

/// A field the form struct keeps as its own result (`form::Result<'_, T>`), so that its
/// refusal does not hide the checks made after parsing on the other fields: a page shows every
/// field's message at once. Gives the value, or records the field's message in `out`
/// (`messages` replaces the parser's words, as in `FormState::from_context`).
pub fn take<T>(
    out: &mut crate::views::FormState,
    field: &'static str,
    parsed: form::Result<'_, T>,
    messages: &[(&str, &str)],
) -> Option<T> {
    match parsed {
        Ok(value) => Some(value),
        Err(errors) => {
            let message = messages
                .iter()
                .find(|(name, _)| *name == field)
                .map(|(_, text)| (*text).to_string())
                .or_else(|| errors.first().map(|e| e.kind.to_string()))
                .unwrap_or_default();
            out.add(FieldError::new(field, message));
            None
        }
    }
}

#[rocket::async_trait]
impl<'v> FromFormField<'v> for SessionNumber {
    fn from_value(field: ValueField<'v>) -> form::Result<'v, Self> {
        SessionNumber::parse(field.value).map_err(refused)
    }
}

/// A staff member chosen from a list (a client's provider): an id; whether the actor may
/// choose that person is the service's question.
#[rocket::async_trait]
impl<'v> FromFormField<'v> for StaffId {
    fn from_value(field: ValueField<'v>) -> form::Result<'v, Self> {
        field
            .value
            .trim()
            .parse::<i32>()
            .map(StaffId::new)
            .map_err(|_| form::Error::validation("Choose someone from the list.").into())
    }
}

/// A field a form may leave out to keep what is stored (an older form, a script posting the
/// rest of the page); when it is sent, it must parse.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Kept<T>(pub Option<T>);

#[rocket::async_trait]
impl<'v, T: FromFormField<'v>> FromFormField<'v> for Kept<T> {
    fn from_value(field: ValueField<'v>) -> form::Result<'v, Self> {
        T::from_value(field).map(|value| Self(Some(value)))
    }

    fn default() -> Option<Self> {
        Some(Self(None))
    }
}

#[rocket::async_trait]
impl<'v> FromFormField<'v> for TimeZone {
    fn from_value(field: ValueField<'v>) -> form::Result<'v, Self> {
        TimeZone::parse("time_zone", field.value).map_err(refused)
    }
}

#[rocket::async_trait]
impl<'v> FromFormField<'v> for PhoneRegion {
    fn from_value(field: ValueField<'v>) -> form::Result<'v, Self> {
        PhoneRegion::parse("phone_region", field.value).map_err(refused)
    }
}
