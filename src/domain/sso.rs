//! Single sign-on settings as parsed values (SPEC §2.3): the practice's short name, the issuer
//! URL (`https`, or `http` on loopback only) and the mode.

use std::net::IpAddr;

use super::FieldError;

/// Who signs in with the practice's identity provider.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SsoMode {
    Off,
    /// Staff may use it; passwords still work.
    Optional,
    /// Linked staff must use it; the owner keeps the password (break-glass).
    Required,
}

impl SsoMode {
    pub fn parse(field: &'static str, raw: &str) -> Result<Self, FieldError> {
        match raw.trim() {
            "" | "off" => Ok(Self::Off),
            "optional" => Ok(Self::Optional),
            "required" => Ok(Self::Required),
            _ => Err(FieldError::new(field, "Choose off, optional or required.")),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Off => "off",
            Self::Optional => "optional",
            Self::Required => "required",
        }
    }

    /// A stored value; anything unknown reads as off (never as more permissive).
    pub fn from_stored(text: &str) -> Self {
        Self::parse("sso_mode", text).unwrap_or(Self::Off)
    }
}

/// The short name in `/sso/<practice>`: 2–40 lowercase letters, digits and hyphens.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PracticeName(String);

impl PracticeName {
    pub fn parse(field: &'static str, raw: &str) -> Result<Self, FieldError> {
        let value = raw.trim().to_lowercase();
        let ok_chars = value
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
        if !(2..=40).contains(&value.len()) || !ok_chars || value.starts_with('-') || value.ends_with('-') {
            return Err(FieldError::new(
                field,
                "Use 2 to 40 lowercase letters, digits and hyphens, e.g. harbor-counseling.",
            ));
        }
        Ok(Self(value))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// An OpenID provider's issuer: `https`, or `http` only on a loopback address (tests, a
/// provider on the same machine). No query or fragment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IssuerUrl(String);

impl IssuerUrl {
    pub fn parse(field: &'static str, raw: &str) -> Result<Self, FieldError> {
        let text = raw.trim();
        let Ok(url) = url::Url::parse(text) else {
            return Err(FieldError::new(
                field,
                "Enter the issuer's URL, e.g. https://login.microsoftonline.com/<tenant>/v2.0.",
            ));
        };
        let loopback = match url.host() {
            Some(url::Host::Domain(name)) => name.eq_ignore_ascii_case("localhost"),
            Some(url::Host::Ipv4(ip)) => IpAddr::V4(ip).is_loopback(),
            Some(url::Host::Ipv6(ip)) => IpAddr::V6(ip).is_loopback(),
            None => false,
        };
        let scheme_ok = url.scheme() == "https" || (url.scheme() == "http" && loopback);
        if !scheme_ok {
            return Err(FieldError::new(
                field,
                "The issuer must be an https:// URL (http:// only on this machine).",
            ));
        }
        if url.query().is_some() || url.fragment().is_some() || !url.username().is_empty() {
            return Err(FieldError::new(
                field,
                "The issuer URL has no query, fragment or user name.",
            ));
        }
        // Issuers are compared exactly with the `iss` claim: keep what was typed, less a
        // trailing space.
        Ok(Self(text.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn issuers_must_be_https_except_on_loopback() {
        assert!(IssuerUrl::parse("i", "https://accounts.google.com").is_ok());
        assert!(IssuerUrl::parse("i", "http://127.0.0.1:9400").is_ok());
        assert!(IssuerUrl::parse("i", "http://localhost:9400").is_ok());
        assert!(IssuerUrl::parse("i", "http://[::1]:9400").is_ok());
        assert!(IssuerUrl::parse("i", "http://idp.example.com").is_err());
        assert!(IssuerUrl::parse("i", "http://10.0.0.1").is_err());
        assert!(IssuerUrl::parse("i", "ftp://idp.example.com").is_err());
        assert!(IssuerUrl::parse("i", "https://idp.example.com/?a=b").is_err());
        assert!(IssuerUrl::parse("i", "not a url").is_err());
    }

    #[test]
    fn practice_names_are_short_lowercase_slugs() {
        assert_eq!(
            PracticeName::parse("p", " Harbor-Counseling ").map(|p| p.0),
            Ok("harbor-counseling".into())
        );
        assert!(PracticeName::parse("p", "a").is_err());
        assert!(PracticeName::parse("p", "-x").is_err());
        assert!(PracticeName::parse("p", "a b").is_err());
        assert!(PracticeName::parse("p", &"x".repeat(41)).is_err());
    }

    #[test]
    fn unknown_stored_modes_read_as_off() {
        assert_eq!(SsoMode::from_stored("required"), SsoMode::Required);
        assert_eq!(SsoMode::from_stored("weird"), SsoMode::Off);
    }
}
