//! Episodes of care: a client's ratings are grouped into numbered episodes; the open one takes
//! new ratings, and closing it makes the next rating open another.

use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseTransaction, EntityTrait, QueryFilter,
    QueryOrder, Set, TransactionTrait,
};

use entities::{episode, user};

use crate::auth::guards::Acting;
use crate::domain::scoring::Flag;
use crate::domain::triage::Attention;
use crate::error::AppError;
use crate::services::audit::{self, Event, Origin};
use crate::services::clients::VisibleClient;
use crate::state::AppState;

/// The client's open episode, if any.
pub(super) async fn open_episode(
    db: &impl ConnectionTrait,
    client_id: i32,
) -> Result<Option<episode::Model>, AppError> {
    Ok(episode::Entity::find()
        .filter(episode::Column::ClientId.eq(client_id))
        .filter(episode::Column::ClosedAt.is_null())
        .order_by_desc(episode::Column::Number)
        .one(db)
        .await?)
}

/// The client's newest episode, open or closed.
pub(super) async fn newest_episode(
    db: &impl ConnectionTrait,
    client_id: i32,
) -> Result<Option<episode::Model>, AppError> {
    Ok(episode::Entity::find()
        .filter(episode::Column::ClientId.eq(client_id))
        .order_by_desc(episode::Column::Number)
        .one(db)
        .await?)
}

/// The open episode, opening the next one when there is none; inside the caller's transaction.
pub(super) async fn current_episode(
    txn: &DatabaseTransaction,
    now: i64,
    client: &user::Model,
) -> Result<episode::Model, AppError> {
    // Read the newest episode once: if it is open, use it; if not, the next number is taken by
    // a unique index, so two requests racing here cannot open two episodes.
    let newest = newest_episode(txn, client.id).await?;
    if let Some(open) = newest.as_ref().filter(|e| e.closed_at.is_none()) {
        return Ok(open.clone());
    }
    let last = newest.map_or(0, |e| e.number);
    // An open safety alert carries over to the new episode: it stays at the top of the lists.
    let alert = super::alerts::open_alert(txn, client.id).await?;
    let attention = Attention::of(alert, Flag::Grey, Flag::Grey);
    // A savepoint: on PostgreSQL a refused insert would otherwise abort the whole transaction.
    let attempt = txn.begin().await?;
    let created = episode::ActiveModel {
        account_id: Set(client.account_id),
        client_id: Set(client.id),
        number: Set(last + 1),
        opened_at: Set(now),
        closed_at: Set(None),
        outcome_count: Set(0),
        latest_session: Set(0),
        intake: Set(None),
        latest_outcome: Set(None),
        target: Set(None),
        latest_alliance: Set(None),
        outcome_flag: Set(Flag::Grey),
        alliance_flag: Set(Flag::Grey),
        included: Set(false),
        reliable_improvement: Set(false),
        reliable_deterioration: Set(false),
        clinically_significant: Set(false),
        effect_size: Set(None),
        last_rated_at: Set(None),
        attention: Set(attention.rank()),
        off_track_since: Set(attention.off_track_since(None, now)),
        last_session_at: Set(None),
        ..Default::default()
    }
    .insert(&attempt)
    .await;
    match created {
        Ok(episode) => {
            attempt.commit().await?;
            Ok(episode)
        }
        // Another request opened it at the same moment: use theirs.
        Err(error) if matches!(AppError::from(error.clone()), AppError::Conflict) => {
            attempt.rollback().await?;
            open_episode(txn, client.id).await?.ok_or(AppError::Conflict)
        }
        Err(error) => Err(error.into()),
    }
}

/// Closes the open episode (if any) and audits it, inside the caller's transaction.
async fn close_open(
    txn: &DatabaseTransaction,
    now: i64,
    origin: &Origin,
    client: &user::Model,
) -> Result<(), AppError> {
    episode::Entity::update_many()
        .col_expr(episode::Column::ClosedAt, Expr::value(now))
        .filter(episode::Column::ClientId.eq(client.id))
        .filter(episode::Column::ClosedAt.is_null())
        .exec(txn)
        .await?;
    audit::record(
        txn,
        now,
        Event::new("episode.closed", "success")
            .account(client.account_id)
            .by(origin)
            .subject(format!("client {}", client.id)),
    )
    .await
}

/// Closes the open episode; the next rating opens a new one. Refused (`Invalid`) while a
/// safety alert is open: the alert ranks the client first on every list through the open
/// episode, and must not drop out of sight with it.
pub async fn close_episode(
    state: &AppState,
    actor: &impl Acting,
    client: &VisibleClient,
    ip: Option<String>,
) -> Result<(), AppError> {
    let txn = super::begin_write(&state.db).await?;
    if super::alerts::open_alert(&txn, client.id).await? {
        return Err(AppError::Invalid(vec![crate::domain::FieldError::new(
            "episode",
            "Mark the safety alert as seen before closing this episode.",
        )]));
    }
    close_open(
        &txn,
        state.now(),
        &Origin::new(actor.acting_user().id, ip),
        client,
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

/// Opens a new episode now (closing any open one).
pub async fn start_new_episode(
    state: &AppState,
    actor: &impl Acting,
    client: &VisibleClient,
    ip: Option<String>,
) -> Result<(), AppError> {
    let now = state.now();
    let origin = Origin::new(actor.acting_user().id, ip);
    let txn = super::begin_write(&state.db).await?;
    close_open(&txn, now, &origin, client).await?;
    current_episode(&txn, now, client).await?;
    audit::record(
        &txn,
        now,
        Event::new("episode.opened", "success")
            .account(client.account_id)
            .by(&origin)
            .subject(format!("client {}", client.id)),
    )
    .await?;
    txn.commit().await?;
    Ok(())
}
