//! E-mails to people, through the durable outbox: queued, tried at once, retried when the mail
//! server is away. A first failed try is audited, so a warning that is late (a lock-out, a
//! safety alert) is on record rather than only in a log line.

use crate::error::AppError;
use crate::services::outbox::{self, Channel, Message};
use crate::state::AppState;

/// Queues a plain-text mail to `to` on behalf of the practice `account_id` and tries it now.
pub async fn email(
    state: &AppState,
    account_id: i32,
    to: &str,
    subject: &str,
    body: &str,
) -> Result<(), AppError> {
    let id = outbox::enqueue(
        &state.db,
        state.now(),
        Message {
            account_id: Some(account_id),
            channel: Channel::Email,
            to,
            subject,
            body,
            purpose: "notice",
        },
    )
    .await?;
    outbox::deliver(&state.postman, &[id]).await;
    Ok(())
}
