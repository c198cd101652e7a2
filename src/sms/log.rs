//! Development sender: writes each text to the server log instead of sending it.

use super::{SmsError, SmsSender};
use crate::domain::phone::mask;

pub struct LogSender;

#[rocket::async_trait]
impl SmsSender for LogSender {
    async fn send(&self, to: &str, body: &str) -> Result<(), SmsError> {
        // The log provider is the delivery channel in development: the body is the point.
        log::warn!(
            "SMS (sms_provider = \"log\", not sent) to {}: {}",
            mask(to),
            body.replace('\n', " ")
        );
        Ok(())
    }
}
