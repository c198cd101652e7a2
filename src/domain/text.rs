//! Short text inputs: user IDs, names and e-mail addresses, trimmed and bounded.

use super::FieldError;

/// A sign-in user ID: 3–64 characters of letters, digits, `.`, `_`, `-`, `@`; stored lower-case
/// so "Alice" and "alice" are the same person.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoginId(String);

impl LoginId {
    pub fn parse(field: &'static str, raw: &str) -> Result<Self, FieldError> {
        let value = raw.trim().to_lowercase();
        if value.chars().count() < 3 || value.chars().count() > 64 {
            return Err(FieldError::new(field, "User ID must be 3 to 64 characters."));
        }
        if !value
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-' | '@'))
        {
            return Err(FieldError::new(
                field,
                "User ID may use only letters, digits, and . _ - @",
            ));
        }
        Ok(Self(value))
    }

    /// The form a login attempt is looked up and throttled by (never fails).
    pub fn normalize(raw: &str) -> String {
        // Control characters (a NUL breaks PostgreSQL text) can never be in a user ID.
        raw.trim()
            .to_lowercase()
            .chars()
            .filter(|c| !c.is_control())
            .take(200)
            .collect()
    }

    pub fn from_trusted(value: String) -> Self {
        Self(value)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_inner(self) -> String {
        self.0
    }
}

/// A person's or organization's name: 1–120 characters, no control characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PersonName(String);

impl PersonName {
    pub fn parse(field: &'static str, label: &str, raw: &str) -> Result<Self, FieldError> {
        let value = raw.trim();
        if value.is_empty() {
            return Err(FieldError::new(field, format!("{label} is required.")));
        }
        if value.chars().count() > 120 {
            return Err(FieldError::new(
                field,
                format!("{label} must be at most 120 characters."),
            ));
        }
        if value.chars().any(char::is_control) {
            return Err(FieldError::new(
                field,
                format!("{label} contains characters that are not allowed."),
            ));
        }
        Ok(Self(value.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_inner(self) -> String {
        self.0
    }
}

/// An e-mail address: one `@`, a dotted domain, no spaces; at most 254 characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Email(String);

impl Email {
    pub fn parse(field: &'static str, raw: &str) -> Result<Self, FieldError> {
        let value = raw.trim();
        let invalid = || FieldError::new(field, "Enter an e-mail address like name@example.com.");
        if value.len() > 254 || value.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(invalid());
        }
        let (local, domain) = value.split_once('@').ok_or_else(invalid)?;
        if local.is_empty()
            || domain.contains('@')
            || !domain.contains('.')
            || domain.starts_with('.')
            || domain.ends_with('.')
        {
            return Err(invalid());
        }
        Ok(Self(value.to_string()))
    }

    /// An optional field: blank is `None`.
    pub fn parse_optional(field: &'static str, raw: &str) -> Result<Option<Self>, FieldError> {
        if raw.trim().is_empty() {
            Ok(None)
        } else {
            Self::parse(field, raw).map(Some)
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_inner(self) -> String {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_ids_are_lower_cased_and_restricted() {
        assert_eq!(
            LoginId::parse("u", " Alice ").map(LoginId::into_inner),
            Ok("alice".into())
        );
        assert!(LoginId::parse("u", "a b").is_err());
        assert!(LoginId::parse("u", "ab").is_err());
    }

    #[test]
    fn emails_need_a_dotted_domain() {
        assert!(Email::parse("e", "a@b.co").is_ok());
        assert!(Email::parse("e", "a@b").is_err());
        assert!(Email::parse("e", "a b@c.d").is_err());
    }
}
