//! The edge: form fields and path segments parsed into domain types before a handler sees
//! them, each refusal a message for its field.

use rocket::form::{self, FromFormField, ValueField};
use rocket::request::FromParam;

use crate::domain::measures::MeasureId;
use crate::domain::{ClientId, DeviceId, Email, FieldError, PhoneEntry, SessionNumber, StaffId};

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
