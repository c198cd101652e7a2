//! Twilio Messages API: `POST {base}/2010-04-01/Accounts/{sid}/Messages.json`, basic auth,
//! `ValidityPeriod=600`, 10 s timeout, Twilio's error JSON mapped to `SmsError`.

use std::time::Duration;

use serde::Deserialize;

use super::{SmsError, SmsSender};
use crate::config::{Secret, TwilioSender as Sender};
use crate::domain::phone::mask;

pub struct TwilioSender {
    client: reqwest::Client,
    url: String,
    account_sid: String,
    auth_token: Secret,
    sender: Sender,
}

#[derive(Debug, Deserialize)]
struct TwilioError {
    code: Option<u32>,
    message: Option<String>,
}

impl TwilioSender {
    pub fn new(
        api_base: String,
        account_sid: String,
        auth_token: Secret,
        sender: Sender,
    ) -> Result<Self, String> {
        let client = reqwest::Client::builder()
            .timeout(Duration::from_secs(10))
            .connect_timeout(Duration::from_secs(5))
            .build()
            .map_err(|e| format!("cannot build the Twilio HTTP client: {e}"))?;
        let url = format!("{api_base}/2010-04-01/Accounts/{account_sid}/Messages.json");
        Ok(Self {
            client,
            url,
            account_sid,
            auth_token,
            sender,
        })
    }
}

/// Twilio's messages quote the phone number; logs and the audit trail must not hold it.
fn without_numbers(text: &str) -> String {
    let mut out = String::new();
    let mut digits = String::new();
    for c in text.chars().chain(std::iter::once(' ')) {
        if c.is_ascii_digit() {
            digits.push(c);
            continue;
        }
        if digits.len() >= 5 {
            out.push_str("[number]");
        } else {
            out.push_str(&digits);
        }
        digits.clear();
        out.push(c);
    }
    out.pop();
    out
}

/// Maps Twilio's HTTP status and error code to what went wrong.
fn classify(status: u16, error: TwilioError) -> SmsError {
    let detail = format!(
        "HTTP {status}, Twilio code {}, {}",
        error.code.map_or_else(|| "none".into(), |c| c.to_string()),
        without_numbers(&error.message.unwrap_or_default())
    );

    match (status, error.code) {
        // 21211 invalid To, 21214 not reachable, 21407/21408 region not enabled, 21612/21614 not a mobile.
        (_, Some(21211 | 21214 | 21407 | 21408 | 21612 | 21614)) => SmsError::InvalidNumber(detail),
        (_, Some(21610)) => SmsError::Unsubscribed(detail),
        (429, _) | (_, Some(20429 | 14107 | 30022)) => SmsError::RateLimited(detail),
        (401 | 403, _) | (_, Some(20003 | 20005)) => SmsError::AuthFailure(detail),
        _ => SmsError::Unavailable(detail),
    }
}

#[rocket::async_trait]
impl SmsSender for TwilioSender {
    async fn send(&self, to: &str, body: &str) -> Result<(), SmsError> {
        let mut form = vec![
            ("To", to.to_string()),
            ("Body", body.to_string()),
            ("ValidityPeriod", "600".to_string()),
        ];
        match &self.sender {
            Sender::From(from) => form.push(("From", from.clone())),
            Sender::MessagingService(sid) => form.push(("MessagingServiceSid", sid.clone())),
        }
        let result = self
            .client
            .post(&self.url)
            .basic_auth(&self.account_sid, Some(self.auth_token.expose()))
            .form(&form)
            .send()
            .await;
        let response = match result {
            Ok(response) => response,
            Err(error) => {
                let kind = if error.is_timeout() {
                    "timed out after 10 s"
                } else {
                    "request failed"
                };
                let failure = SmsError::Unavailable(format!("{kind}: {error}"));
                log::error!("Twilio: text to {} not sent: {failure}", mask(to));
                return Err(failure);
            }
        };
        let status = response.status().as_u16();
        if status == 201 || status == 200 {
            return Ok(());
        }
        let error = response.json::<TwilioError>().await.unwrap_or(TwilioError {
            code: None,
            message: Some("unreadable error body".into()),
        });
        let failure = classify(status, error);
        log::error!("Twilio: text to {} not sent: {failure}", mask(to));
        Err(failure)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn error(code: u32) -> TwilioError {
        TwilioError {
            code: Some(code),
            message: Some("m".into()),
        }
    }

    #[test]
    fn provider_messages_lose_the_phone_number() {
        let text = without_numbers("The 'To' number +14155552672 is not a valid phone number. Code 21211");
        assert_eq!(
            text,
            "The 'To' number +[number] is not a valid phone number. Code [number]"
        );
    }

    #[test]
    fn twilio_codes_map_to_typed_errors() {
        assert!(matches!(classify(400, error(21211)), SmsError::InvalidNumber(_)));
        assert!(matches!(classify(400, error(21610)), SmsError::Unsubscribed(_)));
        assert!(matches!(classify(429, error(20429)), SmsError::RateLimited(_)));
        assert!(matches!(classify(401, error(20003)), SmsError::AuthFailure(_)));
        assert!(matches!(classify(500, error(20500)), SmsError::Unavailable(_)));
    }
}
