//! The ratings export: every rating of the account with its client and episode, read in batches
//! of a few thousand so that memory stays flat whatever the size of the practice (issue 17), and
//! the export itself audited.

use std::collections::HashMap;

use sea_orm::{
    ColumnTrait, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect,
};

use entities::values::RatingSource;
use entities::{episode, rating, user};

use crate::auth::guards::SignedIn;
use crate::domain::AgeGroup;

use crate::error::AppError;
use crate::metrics::ExportWatch;
use crate::services::audit::{self, Event};
use crate::state::AppState;

/// Ratings read per statement: large enough that a 2,000,000-row export is a thousand
/// statements, small enough that a batch is a few megabytes at most.
const BATCH: u64 = 2_000;

/// One rating as the export lists it.
pub struct ExportedRating {
    pub client_id: i32,
    /// The client's user ID; empty when the client row is gone.
    pub client_login: String,
    pub age_group: Option<AgeGroup>,
    /// The episode's number for the client; `None` when the episode row is gone.
    pub episode: Option<i32>,
    pub session: i32,
    pub measure: String,
    /// The item scores as stored (`[1.5,2,3]`).
    pub items: String,
    pub total: f64,
    pub source: RatingSource,
    pub entered_by: i32,
    pub at: i64,
}

/// An export under way: hands out the account's ratings batch by batch, ordered by client,
/// episode and session. It reads only when asked for the next batch, inside the response
/// stream: it is no task of its own, so dropping it (a client that went away) stops the reading.
pub struct RatingsExport {
    db: DatabaseConnection,
    account: i32,
    /// Every rating of clients up to this id has been handed out.
    after_client: i32,
    done: bool,
    /// Counts the batches read and, when dropped, whether the export reached its end.
    watch: ExportWatch,
}

/// Starts an export of every rating of the actor's account and records that it was exported.
pub async fn ratings(
    state: &AppState,
    actor: &SignedIn,
    ip: Option<String>,
) -> Result<RatingsExport, AppError> {
    let account = actor.account.id;
    let count = rating::Entity::find()
        .filter(rating::Column::AccountId.eq(account))
        .count(&state.db)
        .await?;
    audit::record(
        &state.db,
        state.now(),
        Event::new("ratings.exported", "success")
            .account(account)
            .actor(actor.user.id)
            .ip(ip)
            .details(format!("{count} ratings")),
    )
    .await?;
    Ok(RatingsExport {
        db: state.db.clone(),
        account,
        after_client: i32::MIN,
        done: false,
        watch: ExportWatch::new(state.metrics.clone(), "ratings"),
    })
}

impl RatingsExport {
    fn ordered(&self) -> sea_orm::Select<rating::Entity> {
        rating::Entity::find()
            .filter(rating::Column::AccountId.eq(self.account))
            .order_by_asc(rating::Column::ClientId)
            .order_by_asc(rating::Column::EpisodeId)
            .order_by_asc(rating::Column::Session)
            .order_by_asc(rating::Column::Id)
    }

    /// The next batch (whole clients only, so the order holds across batches); `None` at the end.
    pub async fn next_batch(&mut self) -> Result<Option<Vec<ExportedRating>>, AppError> {
        if self.done {
            return Ok(None);
        }
        let mut rows = self
            .ordered()
            .filter(rating::Column::ClientId.gt(self.after_client))
            .limit(BATCH)
            .all(&self.db)
            .await?;
        self.watch.batch();
        let (Some(first), Some(last)) = (
            rows.first().map(|r| r.client_id),
            rows.last().map(|r| r.client_id),
        ) else {
            self.done = true;
            self.watch.complete();
            return Ok(None);
        };
        if (rows.len() as u64) < BATCH {
            self.done = true;
            self.watch.complete();
        } else if first == last {
            // One client fills a batch alone (a long treatment): read all of theirs at once.
            rows = self
                .ordered()
                .filter(rating::Column::ClientId.eq(last))
                .all(&self.db)
                .await?;
        } else {
            // The batch may have cut the last client's ratings short: they come whole next time.
            rows.retain(|r| r.client_id != last);
        }
        self.after_client = rows.last().map_or(last, |r| r.client_id);
        self.describe(rows).await.map(Some)
    }

    /// Adds each rating's client and episode number (two statements per batch).
    async fn describe(&self, rows: Vec<rating::Model>) -> Result<Vec<ExportedRating>, AppError> {
        let client_ids: Vec<i32> = dedup(rows.iter().map(|r| r.client_id));
        let episode_ids: Vec<i32> = dedup(rows.iter().map(|r| r.episode_id));
        // By id alone, the practice checked here: with the practice in the WHERE too, SQLite
        // may read the practice's index of every client instead of the primary key.
        let clients: HashMap<i32, user::Model> = user::Entity::find()
            .filter(user::Column::Id.is_in(client_ids))
            .all(&self.db)
            .await?
            .into_iter()
            .filter(|u| u.account_id == self.account)
            .map(|u| (u.id, u))
            .collect();
        let episodes: HashMap<i32, i32> = episode::Entity::find()
            .filter(episode::Column::AccountId.eq(self.account))
            .filter(episode::Column::Id.is_in(episode_ids))
            .all(&self.db)
            .await?
            .into_iter()
            .map(|e| (e.id, e.number))
            .collect();
        Ok(rows
            .into_iter()
            .map(|r| {
                let client = clients.get(&r.client_id);
                ExportedRating {
                    client_id: r.client_id,
                    client_login: client.map(|c| c.login.clone()).unwrap_or_default(),
                    age_group: client.and_then(|c| c.age_group),
                    episode: episodes.get(&r.episode_id).copied(),
                    session: r.session,
                    measure: r.measure,
                    items: r.items,
                    total: r.total,
                    source: r.source,
                    entered_by: r.entered_by,
                    at: r.at,
                }
            })
            .collect())
    }
}

fn dedup(ids: impl Iterator<Item = i32>) -> Vec<i32> {
    let mut ids: Vec<i32> = ids.collect();
    ids.sort_unstable();
    ids.dedup();
    ids
}
