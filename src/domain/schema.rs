//! OpenAPI schemas of the closed sets stored by name (roles, plans, age groups, flags), made
//! from their `ALL` lists so the API document follows the code.

use std::borrow::Cow;

use utoipa::openapi::schema::{ObjectBuilder, SchemaType, Type};
use utoipa::openapi::{RefOr, Schema};
use utoipa::{PartialSchema, ToSchema};

use crate::domain::scoring::Flag;
use crate::domain::{AgeGroup, Plan, Role};

/// A string schema listing a closed set's stored names (so the document follows the code).
fn names(values: impl Iterator<Item = &'static str>, description: &str) -> RefOr<Schema> {
    ObjectBuilder::new()
        .schema_type(SchemaType::Type(Type::String))
        .enum_values(Some(values))
        .description(Some(description))
        .into()
}

macro_rules! closed_set_schema {
    ($schema:ident, $ty:ty, $name:literal, $description:literal) => {
        /// The schema of a value stored by name.
        pub struct $schema;

        impl PartialSchema for $schema {
            fn schema() -> RefOr<Schema> {
                names(<$ty>::ALL.iter().map(|v| v.as_str()), $description)
            }
        }

        impl ToSchema for $schema {
            fn name() -> Cow<'static, str> {
                Cow::Borrowed($name)
            }
        }
    };
}

closed_set_schema!(RoleSchema, Role, "Role", "Who a person is in their practice.");
closed_set_schema!(PlanSchema, Plan, "Plan", "The practice's plan.");
closed_set_schema!(
    AgeGroupSchema,
    AgeGroup,
    "AgeGroup",
    "Which version of the measures a client gets."
);
closed_set_schema!(FlagSchema, Flag, "Flag", "A traffic-light flag.");
