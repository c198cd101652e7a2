//! Pure types and rules: parsed inputs that inner code can trust, with no web or database in sight.

pub mod asking;
pub mod calendar;
pub mod etr;
pub mod ids;
pub mod locale;
pub mod measures;
pub mod password;
pub mod phone;
pub mod role;
pub mod schema;
pub mod scoring;
pub mod session_number;
pub mod sso;
pub mod text;
pub mod triage;

/// How far a session has got, and the factors a sign-in proved (stored by name).
pub use entities::values::{Factor, Factors, SessionState};
pub use ids::{ClientId, DeviceId, PasskeyId, StaffId};
pub use locale::{Locale, PhoneRegion, TimeZone};
pub use password::{NewPassword, PasswordContext};
pub use phone::{PhoneEntry, PhoneNumber};
pub use role::{AgeGroup, Plan, Role};
pub use session_number::SessionNumber;
pub use text::{Email, LoginId, PasskeyName, PersonName};

/// A message for one form field, shown next to it when the form is re-rendered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    pub field: &'static str,
    pub message: String,
}

impl FieldError {
    pub fn new(field: &'static str, message: impl Into<String>) -> Self {
        Self {
            field,
            message: message.into(),
        }
    }
}
