//! A session's number within an episode, as entered on a form or sent by the app.

use super::FieldError;

/// A session number: a whole number from 1 to 500. Blank means "the next session" and is
/// handled by the caller (`Option<SessionNumber>`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SessionNumber(i32);

impl SessionNumber {
    pub const RULE: &'static str = "Session must be a whole number from 1 to 500.";

    pub fn new(value: i32) -> Result<Self, FieldError> {
        if (1..=500).contains(&value) {
            Ok(Self(value))
        } else {
            Err(Self::refused())
        }
    }

    /// Parses typed text (surrounding spaces allowed).
    pub fn parse(raw: &str) -> Result<Self, FieldError> {
        raw.trim()
            .parse::<i32>()
            .map_err(|_| Self::refused())
            .and_then(Self::new)
    }

    pub fn get(self) -> i32 {
        self.0
    }

    /// The message for a number that is not one.
    pub fn refused() -> FieldError {
        FieldError::new("session", Self::RULE)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sessions_run_from_1_to_500() {
        assert_eq!(SessionNumber::parse(" 7 ").map(SessionNumber::get), Ok(7));
        assert_eq!(SessionNumber::parse("500").map(SessionNumber::get), Ok(500));
        for bad in ["0", "501", "-1", "two", "1.5", ""] {
            assert_eq!(SessionNumber::parse(bad), Err(SessionNumber::refused()), "{bad}");
        }
    }
}
