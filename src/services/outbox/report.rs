//! What the owner and `/metrics` see of the outbox: messages given up on, and its depth.

use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect,
};
use serde::Serialize;

use entities::outbox;

use crate::error::AppError;

/// A message the owner should know did not go.
#[derive(Debug, Serialize)]
pub struct FailedMessage {
    pub id: i32,
    pub created_at: i64,
    pub channel: &'static str,
    /// Masked: the last four digits of a number, the domain of an address.
    pub to: String,
    pub purpose: String,
    pub attempts: i32,
    pub error: String,
}

/// The practice's messages that were given up on, newest first (at most 50).
pub async fn failed_for_account(
    db: &impl ConnectionTrait,
    account_id: i32,
) -> Result<Vec<FailedMessage>, AppError> {
    let rows = outbox::Entity::find()
        .filter(outbox::Column::AccountId.eq(account_id))
        .filter(outbox::Column::Status.eq("failed"))
        .order_by_desc(outbox::Column::Id)
        .limit(50)
        .all(db)
        .await?;
    Ok(rows
        .into_iter()
        .map(|row| FailedMessage {
            id: row.id,
            created_at: row.created_at,
            channel: if row.channel == "sms" { "Text" } else { "E-mail" },
            to: if row.channel == "sms" {
                crate::domain::phone::mask(&row.recipient)
            } else {
                mask_email(&row.recipient)
            },
            purpose: row.purpose,
            attempts: row.attempts,
            error: row.last_error,
        })
        .collect())
}

fn mask_email(address: &str) -> String {
    match address.split_once('@') {
        Some((_, domain)) => format!("•••@{domain}"),
        None => "•••".into(),
    }
}

/// Messages of every practice waiting to go (the outbox's depth on `/metrics`).
pub async fn pending_total(db: &impl ConnectionTrait) -> Result<u64, AppError> {
    Ok(outbox::Entity::find()
        .filter(outbox::Column::Status.eq("pending"))
        .count(db)
        .await?)
}
