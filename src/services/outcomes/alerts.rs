//! Safety alerts: raised by a PHQ-9 item 9 answer of 1 or more, shown until staff acknowledge
//! them; the provider's and their supervisor's e-mails go into the outbox with the alert.

use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, IntoActiveModel, PaginatorTrait,
    QueryFilter, Set,
};

use entities::{rating, safety_alert, user};

use super::begin_write;
use crate::auth::guards::Acting;
use crate::domain::triage::Attention;
use crate::error::AppError;
use crate::services::audit::{self, Event, Origin};
use crate::services::clients::VisibleClient;
use crate::services::outbox::{self, Channel, Message};
use crate::state::AppState;

/// The alert's messages, queued in the transaction that raised it; tried once it has committed.
#[must_use = "the alert's messages should be tried after the commit"]
pub(super) struct AlertMail {
    outbox_ids: Vec<i32>,
}

/// Stores the alert, its audit row and its e-mails (in the outbox) inside the caller's
/// transaction: the alert and the messages that tell of it are saved together or not at all.
pub(super) async fn raise(
    db: &impl ConnectionTrait,
    now: i64,
    public_url: &str,
    client: &user::Model,
    stored: &rating::Model,
    origin: &Origin,
) -> Result<AlertMail, AppError> {
    safety_alert::ActiveModel {
        account_id: Set(client.account_id),
        client_id: Set(client.id),
        rating_id: Set(stored.id),
        created_at: Set(now),
        acknowledged_at: Set(None),
        acknowledged_by: Set(None),
        ..Default::default()
    }
    .insert(db)
    .await?;
    retriage(db, now, client.id).await?;
    audit::record(
        db,
        now,
        Event::new("safety.alert", "success")
            .account(client.account_id)
            .by(origin)
            .subject(format!("client {}", client.id))
            .details("PHQ-9 item 9 answered 1 or more"),
    )
    .await?;
    // The provider and their supervisor are told at once; no clinical detail goes in the mail.
    let provider = match client.provider_id {
        Some(id) => user::Entity::find_by_id(id).one(db).await?,
        None => None,
    };
    let supervisor = match provider.as_ref().and_then(|p| p.supervisor_id) {
        Some(id) => user::Entity::find_by_id(id).one(db).await?,
        None => None,
    };
    let link = format!("{}/clients/{}", public_url.trim_end_matches('/'), client.id);
    let body = format!(
        "A client in your caseload answered a safety question in a way that needs your attention today.\n\nOpen the client's page in Outcomes: {link}\n"
    );
    let mut outbox_ids = Vec::new();
    for email in [provider, supervisor]
        .into_iter()
        .flatten()
        .filter_map(|person| person.email)
    {
        let message = Message {
            account_id: Some(client.account_id),
            channel: Channel::Email,
            to: &email,
            subject: "Outcomes: safety alert for a client",
            body: &body,
            purpose: "safety_alert",
        };
        outbox_ids.push(outbox::enqueue(db, now, message).await?);
    }
    Ok(AlertMail { outbox_ids })
}

/// Tries the alert's e-mails now; any that cannot go yet stay in the outbox for its worker.
pub(super) async fn send(state: &AppState, mail: AlertMail) {
    outbox::deliver(&state.postman, &mail.outbox_ids).await;
}

/// Marks a client's open safety alerts as seen.
pub async fn acknowledge_alerts(
    state: &AppState,
    actor: &impl Acting,
    client: &VisibleClient,
    ip: Option<String>,
) -> Result<(), AppError> {
    let now = state.now();
    let actor_id = actor.acting_user().id;
    let txn = begin_write(&state.db).await?;
    safety_alert::Entity::update_many()
        .col_expr(safety_alert::Column::AcknowledgedAt, Expr::value(now))
        .col_expr(safety_alert::Column::AcknowledgedBy, Expr::value(actor_id))
        .filter(safety_alert::Column::ClientId.eq(client.id))
        .filter(safety_alert::Column::AcknowledgedAt.is_null())
        .exec(&txn)
        .await?;
    retriage(&txn, now, client.id).await?;
    audit::record(
        &txn,
        now,
        Event::new("safety.acknowledged", "success")
            .account(client.account_id)
            .actor(actor_id)
            .ip(ip)
            .subject(format!("client {}", client.id)),
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

/// Whether the client has a safety alert nobody has acknowledged yet.
pub async fn has_open_alert(db: &impl ConnectionTrait, client: &VisibleClient) -> Result<bool, AppError> {
    open_alert(db, client.id).await
}

pub(super) async fn open_alert(db: &impl ConnectionTrait, client_id: i32) -> Result<bool, AppError> {
    let open = safety_alert::Entity::find()
        .filter(safety_alert::Column::ClientId.eq(client_id))
        .filter(safety_alert::Column::AcknowledgedAt.is_null())
        .count(db)
        .await?;
    Ok(open > 0)
}

/// Brings the open episode's triage rank in line with the client's alerts (raised or
/// acknowledged), keeping its flags: an alert outranks them, and attention that began earlier
/// keeps its start.
pub(super) async fn retriage(db: &impl ConnectionTrait, now: i64, client_id: i32) -> Result<(), AppError> {
    let Some(open) = super::episodes::open_episode(db, client_id).await? else {
        return Ok(());
    };
    let alert = open_alert(db, client_id).await?;
    let attention = Attention::of(alert, open.outcome_flag, open.alliance_flag);
    let since = attention.off_track_since(open.off_track_since, now);
    let mut row = open.into_active_model();
    row.attention = Set(attention.rank());
    row.off_track_since = Set(since);
    row.update(db).await?;
    Ok(())
}
