//! The record of one episode (its ratings, series, trajectory, flags and change) that the client
//! page, the API and the dashboards all read, and the summary row it keeps up to date.

use std::collections::{BTreeMap, HashMap, HashSet};

use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, IntoActiveModel, QueryFilter, QuerySelect,
    Set,
};

use entities::{episode, rating, safety_alert, user};

use super::episodes::{newest_episode, open_episode};
use super::settings::{OutcomeSettings, age_of};
use crate::domain::AgeGroup;
use crate::domain::etr::{Trajectory, expected_path};
use crate::domain::measures::{self, MeasureId, alliance_measure_for, outcome_measure_for};
use crate::domain::scoring::{self, ChangeSummary, FlagResult, FlagSettings};
use crate::domain::triage::Attention;
use crate::error::AppError;
use crate::services::clients::VisibleClient;

/// What the page, the API and the dashboards know about one episode.
pub struct EpisodeRecord {
    pub episode: episode::Model,
    pub ratings: Vec<rating::Model>,
    pub outcome_measure: MeasureId,
    pub alliance_measure: MeasureId,
    pub outcome: Vec<(i32, f64)>,
    pub alliance: Vec<(i32, f64)>,
    pub trajectory: Option<Trajectory>,
    pub outcome_flag: FlagResult,
    pub alliance_flag: FlagResult,
    pub change: ChangeSummary,
    /// The practice's thresholds the flags were set with (the graph draws them).
    pub flag_settings: FlagSettings,
}

pub fn build_record(
    client: &user::Model,
    settings: &OutcomeSettings,
    episode: episode::Model,
    mut ratings: Vec<rating::Model>,
) -> EpisodeRecord {
    ratings.sort_by_key(|r| (r.session, r.id));
    let age = age_of(client);
    let youth = age != AgeGroup::Adult;
    let outcome_measure = outcome_measure_for(age);
    let alliance_measure = alliance_measure_for(age);
    let series = |id: MeasureId| -> Vec<(i32, f64)> {
        ratings
            .iter()
            .filter(|r| r.measure == id.as_str())
            .map(|r| (r.session, r.total))
            .collect()
    };
    let outcome = series(outcome_measure);
    let alliance = series(alliance_measure);
    let outcome_scores: Vec<f64> = outcome.iter().map(|(_, t)| *t).collect();
    let alliance_scores: Vec<f64> = alliance.iter().map(|(_, t)| *t).collect();
    let sessions = outcome.iter().map(|(s, _)| *s).max().unwrap_or(1).max(6) as u32;
    let trajectory = outcome_scores
        .first()
        .and_then(|intake| expected_path(*intake, youth, outcome_scores.len(), sessions));
    EpisodeRecord {
        outcome_flag: scoring::outcome_flag_at(
            &outcome_scores,
            outcome
                .last()
                .map_or(0, |(session, _)| u32::try_from(*session).unwrap_or(0)),
            youth,
            &settings.flags,
        ),
        alliance_flag: scoring::alliance_flag(&alliance_scores, &settings.flags),
        change: scoring::change_summary_with(
            measures::measure(outcome_measure),
            age,
            &outcome_scores,
            Some(settings.flags.reliable_change),
        ),

        flag_settings: settings.flags,
        episode,
        ratings,
        outcome_measure,
        alliance_measure,
        outcome,
        alliance,
        trajectory,
    }
}

/// Copies what dashboards need from a record into its episode row, with its triage rank
/// (`safety_alert`: the client has an open alert) and since when attention has been needed.
pub fn apply_summary(row: &mut episode::ActiveModel, record: &EpisodeRecord, safety_alert: bool, now: i64) {
    let attention = Attention::of(safety_alert, record.outcome_flag.flag, record.alliance_flag.flag);
    row.attention = Set(attention.rank());
    row.off_track_since = Set(attention.off_track_since(record.episode.off_track_since, now));
    row.last_session_at = Set(last_session_at(&record.ratings));
    row.outcome_count = Set(record.outcome.len() as i32);
    row.latest_session = Set(record.ratings.iter().map(|r| r.session).max().unwrap_or(0));
    row.intake = Set(record.outcome.first().map(|(_, t)| *t));
    row.latest_outcome = Set(record.outcome.last().map(|(_, t)| *t));
    row.target = Set(record.trajectory.as_ref().map(|t| t.target));
    row.latest_alliance = Set(record.alliance.last().map(|(_, t)| *t));
    row.outcome_flag = Set(record.outcome_flag.flag);
    row.alliance_flag = Set(record.alliance_flag.flag);
    row.included = Set(record.change.excluded.is_none());
    row.reliable_improvement = Set(record.change.reliable_improvement);
    row.reliable_deterioration = Set(record.change.reliable_deterioration);
    row.clinically_significant = Set(record.change.clinically_significant);
    row.effect_size = Set(record.change.effect_size);
    row.last_rated_at = Set(Some(now));
}

/// When the latest session was rated: the first rating recorded for it.
fn last_session_at(ratings: &[rating::Model]) -> Option<i64> {
    let latest = ratings.iter().map(|r| r.session).max()?;
    ratings.iter().filter(|r| r.session == latest).map(|r| r.at).min()
}

/// Each session's date: the first rating recorded for it.
pub fn session_dates(ratings: &[rating::Model]) -> BTreeMap<i32, i64> {
    let mut dates = BTreeMap::new();
    for r in ratings {
        dates
            .entry(r.session)
            .and_modify(|at: &mut i64| *at = (*at).min(r.at))
            .or_insert(r.at);
    }
    dates
}

async fn ratings_of(db: &impl ConnectionTrait, episode_id: i32) -> Result<Vec<rating::Model>, AppError> {
    Ok(rating::Entity::find()
        .filter(rating::Column::EpisodeId.eq(episode_id))
        .all(db)
        .await?)
}

/// Recomputes the episode's summary row from its ratings.
pub(super) async fn refresh_summary(
    db: &impl ConnectionTrait,
    now: i64,
    client: &user::Model,
    settings: &OutcomeSettings,
    episode_id: i32,
) -> Result<(), AppError> {
    let Some(episode) = episode::Entity::find_by_id(episode_id).one(db).await? else {
        return Err(AppError::NotFound);
    };
    let ratings = ratings_of(db, episode_id).await?;
    let alert = super::alerts::open_alert(db, client.id).await?;
    let record = build_record(client, settings, episode.clone(), ratings);
    let mut row = episode.into_active_model();
    apply_summary(&mut row, &record, alert, now);
    row.update(db).await?;
    Ok(())
}

/// The client's current (or latest) episode with its ratings; `None` before any rating.
pub(super) async fn latest_record(
    db: &impl ConnectionTrait,
    client: &user::Model,
    settings: &OutcomeSettings,
) -> Result<Option<EpisodeRecord>, AppError> {
    let episode = match open_episode(db, client.id).await? {
        Some(open) => Some(open),
        None => newest_episode(db, client.id).await?,
    };
    let Some(episode) = episode else {
        return Ok(None);
    };
    let ratings = ratings_of(db, episode.id).await?;
    Ok(Some(build_record(client, settings, episode, ratings)))
}

/// The client's current (or latest) episode with its ratings; `None` before any rating.
pub async fn client_record(
    db: &impl ConnectionTrait,
    client: &VisibleClient,
    settings: &OutcomeSettings,
) -> Result<Option<EpisodeRecord>, AppError> {
    latest_record(db, client, settings).await
}

/// Recomputes every open episode's summary of an account (after its flag thresholds change),
/// a chunk of episodes at a time, so the dashboards agree with the client pages.
pub async fn refresh_account_summaries(
    db: &impl ConnectionTrait,
    account_id: i32,
    settings: &OutcomeSettings,
    now: i64,
) -> Result<(), AppError> {
    let open = episode::Entity::find()
        .filter(episode::Column::AccountId.eq(account_id))
        .filter(episode::Column::ClosedAt.is_null())
        .all(db)
        .await?;
    let alerted: HashSet<i32> = safety_alert::Entity::find()
        .select_only()
        .column(safety_alert::Column::ClientId)
        .filter(safety_alert::Column::AccountId.eq(account_id))
        .filter(safety_alert::Column::AcknowledgedAt.is_null())
        .into_tuple::<i32>()
        .all(db)
        .await?
        .into_iter()
        .collect();
    for chunk in open.chunks(500) {
        let episode_ids: Vec<i32> = chunk.iter().map(|e| e.id).collect();
        let client_ids: Vec<i32> = chunk.iter().map(|e| e.client_id).collect();
        let clients: HashMap<i32, user::Model> = user::Entity::find()
            .filter(user::Column::Id.is_in(client_ids))
            .all(db)
            .await?
            .into_iter()
            .map(|c| (c.id, c))
            .collect();
        let mut ratings: HashMap<i32, Vec<rating::Model>> = HashMap::new();
        for r in rating::Entity::find()
            .filter(rating::Column::EpisodeId.is_in(episode_ids))
            .all(db)
            .await?
        {
            ratings.entry(r.episode_id).or_default().push(r);
        }
        for episode in chunk {
            let Some(client) = clients.get(&episode.client_id) else {
                continue;
            };
            let record = build_record(
                client,
                settings,
                episode.clone(),
                ratings.remove(&episode.id).unwrap_or_default(),
            );
            let mut row = episode.clone().into_active_model();
            let alert = alerted.contains(&episode.client_id);
            apply_summary(&mut row, &record, alert, episode.last_rated_at.unwrap_or(now));
            row.update(db).await?;
        }
    }
    Ok(())
}
