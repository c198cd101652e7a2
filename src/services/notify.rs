//! E-mails to people. A mail that cannot be delivered is audited, so a warning that never
//! arrived (a lock-out, a safety alert) is on record rather than only in a log line.

use crate::error::AppError;
use crate::services::audit::{self, Event};
use crate::state::AppState;

/// Sends a plain-text mail to `to` on behalf of the practice `account_id`.
pub async fn email(
    state: &AppState,
    account_id: i32,
    to: &str,
    subject: &str,
    body: &str,
) -> Result<(), AppError> {
    state.metrics.mail_queued();
    let sent = state.mailer.send(to, subject, body).await;
    state.metrics.mail_done(sent);
    if sent {
        return Ok(());
    }
    audit::record(
        &state.db,
        state.now(),
        Event::new("mail.failed", "failure")
            .account(account_id)
            .details(format!("\"{subject}\" could not be sent")),
    )
    .await
}
