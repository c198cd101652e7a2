//! Phone numbers: parsed with libphonenumber's rules, stored as E.164, shown masked.

use phonenumber::{Mode, Type, country};

use super::FieldError;

/// A number that can plausibly receive SMS, in E.164 (`+14155552671`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PhoneNumber(String);

impl PhoneNumber {
    /// Accepts national (in `region`, e.g. "US") or international formats.
    pub fn parse(field: &'static str, raw: &str, region: &str) -> Result<Self, FieldError> {
        let text = raw.trim();
        if text.len() > 40 {
            return Err(FieldError::new(field, "That phone number is too long."));
        }
        let region = region.parse::<country::Id>().ok();
        let number = phonenumber::parse(region, text).map_err(|_| {
            FieldError::new(
                field,
                "Enter a phone number, e.g. (415) 555-2671 or +44 7911 123456.",
            )
        })?;
        if !phonenumber::is_valid(&number) {
            return Err(FieldError::new(field, "That is not a valid phone number."));
        }
        // SECURITY: the code goes by SMS, so refuse numbers the library knows cannot take one.
        let kind = number.number_type(&phonenumber::metadata::DATABASE);
        let can_text = matches!(
            kind,
            Type::Mobile | Type::FixedLineOrMobile | Type::PersonalNumber | Type::Voip
        );
        if !can_text {
            return Err(FieldError::new(
                field,
                "That number cannot receive text messages (landline, toll-free or service number). Enter a mobile number.",
            ));
        }
        Ok(Self(number.format().mode(Mode::E164).to_string()))
    }

    /// An optional field: blank is `None`.
    pub fn parse_optional(field: &'static str, raw: &str, region: &str) -> Result<Option<Self>, FieldError> {
        if raw.trim().is_empty() {
            Ok(None)
        } else {
            Self::parse(field, raw, region).map(Some)
        }
    }

    pub fn from_trusted(e164: String) -> Self {
        Self(e164)
    }

    pub fn as_e164(&self) -> &str {
        &self.0
    }

    pub fn into_inner(self) -> String {
        self.0
    }

    /// `•••• •••• 4321`: enough to recognise one's own phone, not to dial it.
    pub fn masked(&self) -> String {
        mask(&self.0)
    }
}

/// A phone number as typed, checked for what can be checked without knowing the practice's
/// country; `resolve` reads it as a number. Blank means "no number".
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PhoneEntry(String);

impl PhoneEntry {
    pub fn parse(field: &'static str, raw: &str) -> Result<Self, FieldError> {
        let text = raw.trim();
        if text.len() > 40 {
            return Err(FieldError::new(field, "That phone number is too long."));
        }
        Ok(Self(text.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The number, read in `region` when it has no country code; `None` when left blank.
    pub fn resolve(&self, field: &'static str, region: &str) -> Result<Option<PhoneNumber>, FieldError> {
        PhoneNumber::parse_optional(field, &self.0, region)
    }
}

/// Masks any stored number, keeping its last four digits.
pub fn mask(e164: &str) -> String {
    let digits: Vec<char> = e164.chars().filter(char::is_ascii_digit).collect();
    let tail: String = digits[digits.len().saturating_sub(4)..].iter().collect();
    format!("•••• •••• {tail}")
}

/// Loads libphonenumber's metadata now rather than on the first request (about 1 s in debug).
pub fn warm_up() {
    let _warm = phonenumber::parse(None, "+14155552671").is_ok();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn national_and_international_forms_become_e164() {
        let national = PhoneNumber::parse("phone", "(415) 555-2671", "US");
        assert_eq!(national.map(PhoneNumber::into_inner), Ok("+14155552671".into()));
        let uk = PhoneNumber::parse("phone", "+44 7911 123456", "US");
        assert_eq!(uk.map(PhoneNumber::into_inner), Ok("+447911123456".into()));
    }

    #[test]
    fn landlines_and_nonsense_are_refused() {
        assert!(PhoneNumber::parse("phone", "+44 20 7946 0018", "US").is_err());
        assert!(PhoneNumber::parse("phone", "12", "US").is_err());
        assert!(PhoneNumber::parse("phone", "call me", "US").is_err());
    }

    #[test]
    fn masking_keeps_the_last_four_digits() {
        assert_eq!(mask("+14155552671"), "•••• •••• 2671");
    }
}
