//! The append-only audit log: one call per event, never updated or deleted; owners and
//! admins read their account's.

use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set,
};

use entities::audit_log;

use crate::auth::guards::SignedIn;
use crate::error::AppError;

/// One event as the caller knows it; `record` stamps it.
pub struct Event<'a> {
    pub account_id: Option<i32>,
    pub actor_id: Option<i32>,
    pub action: &'a str,
    pub subject: Option<String>,
    pub ip: Option<String>,
    pub outcome: &'a str,
    pub details: Option<String>,
}

impl<'a> Event<'a> {
    pub fn new(action: &'a str, outcome: &'a str) -> Self {
        Self {
            account_id: None,
            actor_id: None,
            action,
            subject: None,
            ip: None,
            outcome,
            details: None,
        }
    }

    pub fn account(mut self, account_id: i32) -> Self {
        self.account_id = Some(account_id);
        self
    }

    pub fn actor(mut self, actor_id: i32) -> Self {
        self.actor_id = Some(actor_id);
        self
    }

    pub fn subject(mut self, subject: impl Into<String>) -> Self {
        self.subject = Some(subject.into());
        self
    }

    pub fn ip(mut self, ip: Option<String>) -> Self {
        self.ip = ip;
        self
    }

    pub fn details(mut self, details: impl Into<String>) -> Self {
        self.details = Some(details.into());
        self
    }
}

fn row(at: i64, event: Event<'_>) -> audit_log::ActiveModel {
    audit_log::ActiveModel {
        at: Set(at),
        account_id: Set(event.account_id),
        actor_id: Set(event.actor_id),
        action: Set(event.action.to_string()),
        subject: Set(event.subject),
        ip: Set(event.ip),
        outcome: Set(event.outcome.to_string()),
        details: Set(event.details),
        ..Default::default()
    }
}

pub async fn record(db: &impl ConnectionTrait, at: i64, event: Event<'_>) -> Result<(), AppError> {
    row(at, event).insert(db).await?;
    Ok(())
}

/// Several events of one request in one statement (a sign-in's device use and its success).
pub async fn record_all(db: &impl ConnectionTrait, at: i64, events: Vec<Event<'_>>) -> Result<(), AppError> {
    if events.is_empty() {
        return Ok(());
    }
    audit_log::Entity::insert_many(events.into_iter().map(|event| row(at, event)))
        .exec(db)
        .await?;
    Ok(())
}

/// One recorded event as the log page and its CSV show it.
pub struct Entry {
    pub at: i64,
    pub actor_id: Option<i32>,
    pub action: String,
    pub subject: Option<String>,
    pub ip: Option<String>,
    pub outcome: String,
    pub details: Option<String>,
}

/// The actor's account's events, newest first; at most `limit` of them when given.
pub async fn entries(
    db: &impl ConnectionTrait,
    actor: &SignedIn,
    limit: Option<u64>,
) -> Result<Vec<Entry>, AppError> {
    let mut query = audit_log::Entity::find()
        .filter(audit_log::Column::AccountId.eq(actor.account.id))
        .order_by_desc(audit_log::Column::Id);
    if let Some(limit) = limit {
        query = query.limit(limit);
    }
    Ok(query
        .all(db)
        .await?
        .into_iter()
        .map(|e| Entry {
            at: e.at,
            actor_id: e.actor_id,
            action: e.action,
            subject: e.subject,
            ip: e.ip,
            outcome: e.outcome,
            details: e.details,
        })
        .collect())
}
