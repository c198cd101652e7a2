//! The ratings export: every rating of the account with its client and episode, read in three
//! statements whatever the size of the practice, and the export itself audited.

use std::collections::HashMap;

use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};

use entities::values::RatingSource;
use entities::{episode, rating, user};

use crate::auth::guards::SignedIn;
use crate::domain::{AgeGroup, Role};

use crate::error::AppError;
use crate::services::audit::{self, Event};
use crate::state::AppState;

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

/// Every rating of the actor's account, by client, episode and session; records that they
/// were exported.
pub async fn ratings(
    state: &AppState,
    actor: &SignedIn,
    ip: Option<String>,
) -> Result<Vec<ExportedRating>, AppError> {
    let account = actor.account.id;
    let clients: HashMap<i32, user::Model> = user::Entity::find()
        .filter(user::Column::AccountId.eq(account))
        .filter(user::Column::Role.eq(Role::Client))
        .all(&state.db)
        .await?
        .into_iter()
        .map(|u| (u.id, u))
        .collect();
    let episodes: HashMap<i32, i32> = episode::Entity::find()
        .filter(episode::Column::AccountId.eq(account))
        .all(&state.db)
        .await?
        .into_iter()
        .map(|e| (e.id, e.number))
        .collect();
    let ratings = rating::Entity::find()
        .filter(rating::Column::AccountId.eq(account))
        .order_by_asc(rating::Column::ClientId)
        .order_by_asc(rating::Column::EpisodeId)
        .order_by_asc(rating::Column::Session)
        .all(&state.db)
        .await?;
    let rows: Vec<ExportedRating> = ratings
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
        .collect();
    audit::record(
        &state.db,
        state.now(),
        Event::new("ratings.exported", "success")
            .account(account)
            .actor(actor.user.id)
            .ip(ip)
            .details(format!("{} ratings", rows.len())),
    )
    .await?;
    Ok(rows)
}
