//! Password rules from SECURITY.md: 12–128 characters of anything, judged by zxcvbn in context.

use super::FieldError;

pub const MIN_CHARS: usize = 12;
pub const MAX_CHARS: usize = 128;

/// Words an attacker would try first for this person: their user ID, name and organization.
#[derive(Debug, Default, Clone)]
pub struct PasswordContext<'a> {
    pub words: Vec<&'a str>,
}

/// A password that meets the rules; it is never printed.
pub struct NewPassword(String);

impl std::fmt::Debug for NewPassword {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("NewPassword(..)")
    }
}

impl NewPassword {
    pub fn parse(field: &'static str, raw: &str, context: &PasswordContext<'_>) -> Result<Self, FieldError> {
        let length = raw.chars().count();
        if length < MIN_CHARS {
            return Err(FieldError::new(
                field,
                format!("Password must be at least {MIN_CHARS} characters (it has {length})."),
            ));
        }
        if length > MAX_CHARS {
            return Err(FieldError::new(
                field,
                format!("Password must be at most {MAX_CHARS} characters."),
            ));
        }
        let mut inputs: Vec<&str> = Vec::new();
        for word in &context.words {
            inputs.push(word);
            inputs.extend(word.split(|c: char| !c.is_alphanumeric()).filter(|w| w.len() > 2));
        }
        let estimate = zxcvbn::zxcvbn(raw, &inputs);
        if (estimate.score() as u8) < 3 {
            let mut reason = String::from("That password is too easy to guess.");
            if let Some(feedback) = estimate.feedback() {
                if let Some(warning) = feedback.warning() {
                    reason.push(' ');
                    reason.push_str(&warning.to_string());
                }
                if let Some(suggestion) = feedback.suggestions().first() {
                    reason.push(' ');
                    reason.push_str(&suggestion.to_string());
                }
            }
            return Err(FieldError::new(field, reason));
        }
        Ok(Self(raw.to_string()))
    }

    /// A generated password is accepted as it is (it comes from the CSPRNG).
    pub fn from_generated(value: String) -> Self {
        Self(value)
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_passwords_say_how_long_they_are() {
        let error = NewPassword::parse("password", "short", &PasswordContext::default());
        assert!(error.is_err_and(|e| e.message.contains("at least 12")));
    }

    #[test]
    fn guessable_passwords_are_refused_with_a_reason() {
        let context = PasswordContext {
            words: vec!["alice", "Sunrise Therapy"],
        };
        assert!(NewPassword::parse("password", "password1234", &context).is_err());
        assert!(NewPassword::parse("password", "alicealice12", &context).is_err());
    }

    #[test]
    fn long_random_passphrases_pass() {
        let context = PasswordContext::default();
        assert!(NewPassword::parse("password", "correct horse battery staple 9", &context).is_ok());
    }
}
