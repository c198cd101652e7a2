//! Sending texts: the `SmsSender` trait, its two implementations, and the typed errors a
//! provider can give (each with a message for the person and a log line for the operator).

pub mod log;
pub mod twilio;

use std::sync::Arc;

use crate::config::SmsSettings;

/// Why a text was not sent.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SmsError {
    #[error("the provider says the number cannot receive texts: {0}")]
    InvalidNumber(String),
    #[error("the recipient replied STOP: {0}")]
    Unsubscribed(String),
    #[error("the provider is rate limiting us: {0}")]
    RateLimited(String),
    #[error("the provider refused our credentials: {0}")]
    AuthFailure(String),
    #[error("the provider could not be reached or failed: {0}")]
    Unavailable(String),
}

impl SmsError {
    /// What the person signing in is told; never a provider detail.
    pub fn user_message(&self) -> &'static str {
        match self {
            Self::InvalidNumber(_) => {
                "We could not text the phone number on file. Ask your account owner to check it."
            }
            Self::Unsubscribed(_) => {
                "Your phone has blocked our texts (a STOP reply). Text START to the number our codes come from, then send a new code."
            }
            Self::RateLimited(_) => "The text service is busy. Wait a minute, then send a new code.",
            Self::AuthFailure(_) | Self::Unavailable(_) => {
                "We could not send the text just now. Please wait a minute and send a new code."
            }
        }
    }
}

#[rocket::async_trait]
pub trait SmsSender: Send + Sync {
    /// Sends `body` to `to` (E.164).
    async fn send(&self, to: &str, body: &str) -> Result<(), SmsError>;
}

pub fn from_settings(settings: &SmsSettings) -> Result<Arc<dyn SmsSender>, String> {
    Ok(match settings {
        SmsSettings::Log => Arc::new(log::LogSender),
        SmsSettings::Twilio {
            api_base,
            account_sid,
            auth_token,
            sender,
        } => Arc::new(twilio::TwilioSender::new(
            api_base.clone(),
            account_sid.clone(),
            auth_token.clone(),
            sender.clone(),
        )?),
    })
}

/// The text of a code message (SECURITY.md): no name, clinic or health word; WebOTP last line.
pub fn code_message(code: &str, host: &str) -> String {
    format!("Outcomes security code: {code}. It expires in 10 minutes. Do not share it.\n\n@{host} #{code}")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// GSM 03.38 basic set (enough for our message): one segment is 160 such characters.
    fn is_gsm7(text: &str) -> bool {
        text.chars()
            .all(|c| c.is_ascii_alphanumeric() || " .:@#\n-".contains(c))
    }

    #[test]
    fn the_code_message_fits_one_gsm7_segment() {
        let body = code_message("012345", "outcomes.example.com");
        assert!(is_gsm7(&body), "{body}");
        assert!(body.chars().count() <= 160, "{} characters", body.chars().count());
        assert!(body.ends_with("@outcomes.example.com #012345"));
    }
}
