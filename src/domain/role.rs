//! Roles, plans and age groups: closed sets stored by name (defined beside the entities that
//! store them, so a column can only hold a known value).

pub use entities::values::{AgeGroup, Plan, Role};
