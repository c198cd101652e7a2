//! The durable outbox (SPEC §3.1): every text and e-mail except a sign-in code is first a row,
//! written in the same transaction as whatever caused it, then sent by whichever instance claims
//! it. A message is tried at once after its transaction commits; one that fails is retried after
//! 1 min, 5 min, 30 min and 2 h, then marked *failed* and listed for the owner on `/dashboard`.
//!
//! Claiming is one atomic statement per row (`UPDATE … WHERE id = ? AND claimed_until <= now`,
//! and `FOR UPDATE SKIP LOCKED` on PostgreSQL), so with any number of instances each message
//! goes out once. A claim is a lease: an instance that dies mid-send frees its rows when the
//! lease ends. Times come from the app's `Clock`, so tests move them instead of waiting.

use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbBackend, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder, QuerySelect, Set, Statement,
};

use entities::outbox;

use crate::clock::Clock;
use crate::error::AppError;
use crate::mail::Mailer;
use crate::sms::SmsSender;

mod report;

pub use report::{FailedMessage, failed_for_account, pending_total};

/// Waits before the 2nd, 3rd, 4th and 5th tries; after the 5th failure the message is failed.
pub const RETRY_AFTER: [i64; 4] = [60, 5 * 60, 30 * 60, 2 * 60 * 60];
/// How long a claim holds a row: longer than the 10 s timeouts of SMTP and Twilio together.
const LEASE_SECONDS: i64 = 120;
/// Rows one pass of the worker takes at most (the rest wait for the next pass).
const BATCH: u64 = 50;

/// What sends the outbox's messages: its own handles on the database and the outside services,
/// so the worker can run as a task of its own beside the requests.
pub struct Postman {
    pub db: sea_orm::DatabaseConnection,
    pub clock: Clock,
    pub sms: std::sync::Arc<dyn SmsSender>,
    pub mailer: Mailer,
    /// Names this instance's claims (random per start).
    pub instance_id: String,
    pub wake: tokio::sync::Notify,
    pub poll: std::time::Duration,
    /// The instance's counters for `GET /metrics` (mail sent and failed tries).
    pub metrics: std::sync::Arc<crate::metrics::Metrics>,
}

impl Postman {
    fn now(&self) -> i64 {
        self.clock.now()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Channel {
    Sms,
    Email,
}

impl Channel {
    fn as_str(self) -> &'static str {
        match self {
            Self::Sms => "sms",
            Self::Email => "email",
        }
    }
}

/// A message to queue.
pub struct Message<'a> {
    pub account_id: Option<i32>,
    pub channel: Channel,
    pub to: &'a str,
    pub subject: &'a str,
    pub body: &'a str,
    /// Why it is sent (`safety_alert`, `measures_link`, `reminder`, `notice`, ...).
    pub purpose: &'a str,
}

/// Writes a message into the outbox (inside the caller's transaction, if any); returns its id.
/// Send it after the commit with [`deliver`].
pub async fn enqueue(db: &impl ConnectionTrait, now: i64, message: Message<'_>) -> Result<i32, AppError> {
    enqueue_at(db, now, now, message).await
}

/// Like [`enqueue`], for a message that must not go before `not_before` (a text in the
/// practice's quiet hours waits for the morning).
pub async fn enqueue_at(
    db: &impl ConnectionTrait,
    now: i64,
    not_before: i64,
    message: Message<'_>,
) -> Result<i32, AppError> {
    let row = outbox::ActiveModel {
        account_id: Set(message.account_id),
        channel: Set(message.channel.as_str().to_string()),
        recipient: Set(message.to.to_string()),
        subject: Set(message.subject.chars().take(200).collect()),
        body: Set(message.body.to_string()),
        purpose: Set(message.purpose.to_string()),
        status: Set("pending".into()),
        attempts: Set(0),
        next_attempt_at: Set(not_before.max(now)),
        claimed_until: Set(0),
        claimed_by: Set(String::new()),
        created_at: Set(now),
        sent_at: Set(None),
        last_error: Set(String::new()),
        ..Default::default()
    }
    .insert(db)
    .await?;
    Ok(row.id)
}

/// Tries committed messages now (the person who caused them sees the result sooner, and tests
/// find mail written when the request answers); whatever fails stays for the worker. The
/// worker is woken too, in case this instance stops before it gets to them.
pub async fn deliver(state: &Postman, ids: &[i32]) {
    for &id in ids {
        match claim_one(state, id).await {
            Ok(Some(row)) => send_claimed(state, row).await,
            Ok(None) => wait_while_claimed(state, id).await,
            Err(error) => log::warn!("outbox: message {id} not claimed: {error}"),
        }
    }
    state.wake.notify_one();
}

/// How long a request waits for a worker that took its message first: the SMTP and Twilio
/// timeouts (10 s) and a little more.
const WAIT_FOR_WORKER: std::time::Duration = std::time::Duration::from_secs(12);

/// A worker (of this instance or another) may claim a message between its commit and the
/// request's own try. The request then waits, bounded, until that try is over, so that it
/// answers after the message was tried whoever tried it.
async fn wait_while_claimed(state: &Postman, id: i32) {
    let deadline = tokio::time::Instant::now() + WAIT_FOR_WORKER;
    while tokio::time::Instant::now() < deadline {
        let in_flight = outbox::Entity::find_by_id(id)
            .filter(outbox::Column::Status.eq("pending"))
            .filter(outbox::Column::ClaimedUntil.gt(state.now()))
            .count(&state.db)
            .await;
        match in_flight {
            Ok(0) => return,
            Ok(_) => tokio::time::sleep(std::time::Duration::from_millis(20)).await,
            Err(error) => {
                log::warn!("outbox: message {id} not looked up: {error}");
                return;
            }
        }
    }
}

/// One pass of the worker: claims the due messages and sends them; returns how many it tried.
pub async fn run_due(state: &Postman) -> Result<usize, AppError> {
    let rows = claim_due(state).await?;
    let count = rows.len();
    for row in rows {
        send_claimed(state, row).await;
    }
    Ok(count)
}

/// The lease for a claim taken now.
fn lease(state: &Postman) -> (i64, i64) {
    let now = state.now();
    (now, now + LEASE_SECONDS)
}

/// Claims one message if it is pending, due and nobody holds it.
async fn claim_one(state: &Postman, id: i32) -> Result<Option<outbox::Model>, AppError> {
    let (now, until) = lease(state);
    let claimed = outbox::Entity::update_many()
        .col_expr(outbox::Column::ClaimedUntil, Expr::value(until))
        .col_expr(outbox::Column::ClaimedBy, Expr::value(state.instance_id.as_str()))
        .filter(outbox::Column::Id.eq(id))
        .filter(outbox::Column::Status.eq("pending"))
        .filter(outbox::Column::NextAttemptAt.lte(now))
        .filter(outbox::Column::ClaimedUntil.lte(now))
        .exec(&state.db)
        .await?;
    if claimed.rows_affected != 1 {
        return Ok(None);
    }
    Ok(outbox::Entity::find_by_id(id).one(&state.db).await?)
}

/// Claims up to a batch of due messages for this instance.
async fn claim_due(state: &Postman) -> Result<Vec<outbox::Model>, AppError> {
    let (now, until) = lease(state);
    let ids: Vec<i32> = if state.db.get_database_backend() == DbBackend::Postgres {
        // SECURITY: rows another instance is claiming at this moment are skipped, not waited
        // for and not taken twice; the conditions are checked again under the row lock.
        let rows = state
            .db
            .query_all_raw(Statement::from_sql_and_values(
                DbBackend::Postgres,
                "UPDATE outbox SET claimed_until = $1, claimed_by = $2 WHERE id IN (\
                 SELECT id FROM outbox WHERE status = 'pending' AND next_attempt_at <= $3 \
                 AND claimed_until <= $3 ORDER BY id LIMIT $4 FOR UPDATE SKIP LOCKED) RETURNING id",
                [
                    until.into(),
                    state.instance_id.clone().into(),
                    now.into(),
                    (BATCH as i64).into(),
                ],
            ))
            .await?;
        rows.iter()
            .filter_map(|row| row.try_get::<i32>("", "id").ok())
            .collect()
    } else {
        // SQLite has one writer at a time: each conditional UPDATE is atomic on its own.
        let candidates: Vec<i32> = outbox::Entity::find()
            .select_only()
            .column(outbox::Column::Id)
            .filter(outbox::Column::Status.eq("pending"))
            .filter(outbox::Column::NextAttemptAt.lte(now))
            .filter(outbox::Column::ClaimedUntil.lte(now))
            .order_by_asc(outbox::Column::Id)
            .limit(BATCH)
            .into_tuple()
            .all(&state.db)
            .await?;
        let mut mine = Vec::new();
        for id in candidates {
            let claimed = outbox::Entity::update_many()
                .col_expr(outbox::Column::ClaimedUntil, Expr::value(until))
                .col_expr(outbox::Column::ClaimedBy, Expr::value(state.instance_id.as_str()))
                .filter(outbox::Column::Id.eq(id))
                .filter(outbox::Column::Status.eq("pending"))
                .filter(outbox::Column::ClaimedUntil.lte(now))
                .exec(&state.db)
                .await?;
            if claimed.rows_affected == 1 {
                mine.push(id);
            }
        }
        mine
    };
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    Ok(outbox::Entity::find()
        .filter(outbox::Column::Id.is_in(ids))
        .filter(outbox::Column::ClaimedBy.eq(state.instance_id.as_str()))
        .order_by_asc(outbox::Column::Id)
        .all(&state.db)
        .await?)
}

/// How one try went.
enum Tried {
    Sent,
    /// Worth another try later.
    Retry(String),
    /// Trying again cannot help (a number that cannot take texts, a STOP reply).
    GiveUp(String),
}

async fn try_send(state: &Postman, row: &outbox::Model) -> Tried {
    match row.channel.as_str() {
        "sms" => match state.sms.send(&row.recipient, &row.body).await {
            Ok(()) => Tried::Sent,
            Err(error @ (crate::sms::SmsError::InvalidNumber(_) | crate::sms::SmsError::Unsubscribed(_))) => {
                Tried::GiveUp(error.to_string())
            }
            Err(error) => Tried::Retry(error.to_string()),
        },
        "email" => {
            let sent = state.mailer.send(&row.recipient, &row.subject, &row.body).await;
            state.metrics.mail_done(sent);
            if sent {
                Tried::Sent
            } else {
                Tried::Retry("the mail server did not take the message".into())
            }
        }
        other => Tried::GiveUp(format!("unknown channel {other:?}")),
    }
}

/// Sends a row this instance holds and records the result (only while it still holds it).
async fn send_claimed(state: &Postman, row: outbox::Model) {
    let tried = try_send(state, &row).await;
    let now = state.now();
    let attempts = row.attempts + 1;
    let mut update = outbox::Entity::update_many()
        .col_expr(outbox::Column::Attempts, Expr::value(attempts))
        .col_expr(outbox::Column::ClaimedUntil, Expr::value(0i64))
        .filter(outbox::Column::Id.eq(row.id))
        .filter(outbox::Column::ClaimedBy.eq(state.instance_id.as_str()));
    let failed = match &tried {
        Tried::Sent => {
            update = update
                .col_expr(outbox::Column::Status, Expr::value("sent"))
                .col_expr(outbox::Column::SentAt, Expr::value(now));
            None
        }
        Tried::Retry(why) | Tried::GiveUp(why) => {
            let wait = match tried {
                Tried::Retry(_) => RETRY_AFTER.get(row.attempts as usize).copied(),
                _ => None,
            };
            let short: String = why.chars().take(300).collect();
            update = update.col_expr(outbox::Column::LastError, Expr::value(short));
            update = match wait {
                Some(wait) => update.col_expr(outbox::Column::NextAttemptAt, Expr::value(now + wait)),
                None => update.col_expr(outbox::Column::Status, Expr::value("failed")),
            };
            Some((wait.is_none(), why.clone()))
        }
    };
    if let Err(error) = update.exec(&state.db).await {
        log::error!("outbox: message {} result not stored: {error}", row.id);
        return;
    }
    if let Some((given_up, why)) = failed {
        log::warn!(
            "outbox: {} message {} ({}) try {attempts} failed: {why}{}",
            row.channel,
            row.id,
            row.purpose,
            if given_up {
                "; marked failed"
            } else {
                "; will retry"
            }
        );
        // The first failed try is on record at once (a late warning is worth knowing about),
        // and so is giving up.
        if attempts == 1 && row.channel == "email" {
            let event = crate::services::audit::Event::new("mail.failed", "failure").details(format!(
                "\"{}\" could not be sent on the first try; it is retried",
                row.subject
            ));
            let event = match row.account_id {
                Some(account) => event.account(account),
                None => event,
            };
            if let Err(error) = crate::services::audit::record(&state.db, now, event).await {
                log::error!("outbox: failure of message {} not audited: {error}", row.id);
            }
        }
        if given_up {
            let event = crate::services::audit::Event::new("outbox.failed", "failure")
                .subject(format!("message {}", row.id))
                .details(format!(
                    "{} ({}) given up after {attempts} tries",
                    row.channel, row.purpose
                ));
            let event = match row.account_id {
                Some(account) => event.account(account),
                None => event,
            };
            if let Err(error) = crate::services::audit::record(&state.db, now, event).await {
                log::error!("outbox: failure of message {} not audited: {error}", row.id);
            }
        }
    }
}
