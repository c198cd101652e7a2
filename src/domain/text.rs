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
        // SECURITY: bidirectional overrides make a name display as something else (a name that
        // reads "Olivia Owner" but sorts and searches as another).
        if value.chars().any(|c| c.is_control() || is_bidi_control(c)) {
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

/// What a person calls one of their passkeys ("Work laptop"): 1–60 characters, no control
/// or bidirectional characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PasskeyName(String);

impl PasskeyName {
    pub fn parse(field: &'static str, raw: &str) -> Result<Self, FieldError> {
        let value = raw.trim();
        if value.is_empty() {
            return Err(FieldError::new(
                field,
                "Give the passkey a name, like \"Work laptop\".",
            ));
        }
        if value.chars().count() > 60 {
            return Err(FieldError::new(
                field,
                "A passkey name can be at most 60 characters.",
            ));
        }
        if value.chars().any(|c| c.is_control() || is_bidi_control(c)) {
            return Err(FieldError::new(
                field,
                "The name contains characters that are not allowed.",
            ));
        }
        Ok(Self(value.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Unicode bidirectional embedding, override and isolate controls (U+202A–U+202E,
/// U+2066–U+2069).
pub fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

/// An e-mail address as people write them: read by a real address parser (lettre's, RFC 5321),
/// then narrowed to the plain `local@domain.tld` form — quoted local parts, comments and address
/// literals are legal in mail but are how markup gets into a field that pages show and mail
/// headers carry. At most 254 characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Email(String);

impl Email {
    pub fn parse(field: &'static str, raw: &str) -> Result<Self, FieldError> {
        let value = raw.trim();
        let invalid = || FieldError::new(field, "Enter an e-mail address like name@example.com.");
        if value.len() > 254 || value.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(invalid());
        }
        if value.chars().any(is_bidi_control) {
            return Err(invalid());
        }
        let address: lettre::Address = value.parse().map_err(|_| invalid())?;
        let (local, domain) = (address.user(), address.domain());
        // SECURITY: RFC 5322 "atext" only (no quotes, brackets, parentheses or spaces).
        let plain_local = local
            .chars()
            .all(|c| c.is_alphanumeric() || "!#$%&'*+-/=?^_`{|}~.".contains(c));
        let plain_domain = domain
            .chars()
            .all(|c| c.is_alphanumeric() || c == '-' || c == '.');
        if local.is_empty()
            || !plain_local
            || !plain_domain
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
        assert!(Email::parse("e", "first.last+tag@example.co.uk").is_ok());
    }

    #[test]
    fn markup_and_quoted_forms_are_not_addresses() {
        for bad in [
            "\"><svg/onload=alert(1)>@ex.com",
            "\"a b\"@example.com",
            "a(comment)@example.com",
            "a@[127.0.0.1]",
            "<a@example.com>",
            "a@exa<mple.com",
        ] {
            assert!(Email::parse("e", bad).is_err(), "{bad} must be refused");
        }
    }

    #[test]
    fn names_refuse_bidirectional_controls() {
        assert!(PersonName::parse("n", "Name", "Olivia\u{202E}renwO").is_err());
        assert!(PersonName::parse("n", "Name", "\u{2066}Pat\u{2069}").is_err());
        assert!(PersonName::parse("n", "Name", "Zoë Ångström").is_ok());
    }
}
