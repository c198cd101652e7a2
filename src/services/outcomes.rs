//! Ratings and what follows from them: episodes, the per-episode summary that dashboards read,
//! safety alerts, and the client record that the page and the JSON API both show.

use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, IntoActiveModel, QueryFilter, QueryOrder,
    Set,
};
use serde::Serialize;

use entities::{episode, outcome_settings, rating, safety_alert, user};

use crate::domain::measures::{self, MeasureId, MeasureKind, alliance_measure_for, outcome_measure_for};
use crate::domain::scoring::{self, ChangeSummary, Flag, FlagResult, FlagSettings};
use crate::domain::{AgeGroup, FieldError};
use crate::error::AppError;
use crate::services::audit::{self, Event};
use crate::state::AppState;

/// The account's clinical settings (defaults from OUTCOMES.md until the owner changes them).
#[derive(Debug, Clone, PartialEq)]
pub struct OutcomeSettings {
    pub measures: Vec<MeasureId>,
    pub flags: FlagSettings,
}

impl Default for OutcomeSettings {
    fn default() -> Self {
        Self {
            measures: MeasureId::all().to_vec(),
            flags: FlagSettings::default(),
        }
    }
}

pub async fn settings(db: &impl ConnectionTrait, account_id: i32) -> Result<OutcomeSettings, AppError> {
    Ok(
        match outcome_settings::Entity::find_by_id(account_id).one(db).await? {
            Some(row) => OutcomeSettings {
                measures: row.measures.split(',').filter_map(MeasureId::parse).collect(),
                flags: FlagSettings {
                    reliable_change: row.reliable_change,
                    alliance_cutoff: row.alliance_cutoff,
                    alliance_drop: row.alliance_drop,
                },
            },
            None => OutcomeSettings::default(),
        },
    )
}

pub async fn save_settings(
    db: &impl ConnectionTrait,
    account_id: i32,
    new: &OutcomeSettings,
) -> Result<(), AppError> {
    let measures = new
        .measures
        .iter()
        .map(|m| m.as_str())
        .collect::<Vec<_>>()
        .join(",");
    let row = outcome_settings::ActiveModel {
        account_id: Set(account_id),
        measures: Set(measures),
        reliable_change: Set(new.flags.reliable_change),
        alliance_cutoff: Set(new.flags.alliance_cutoff),
        alliance_drop: Set(new.flags.alliance_drop),
    };
    if outcome_settings::Entity::find_by_id(account_id)
        .one(db)
        .await?
        .is_some()
    {
        row.update(db).await?;
    } else {
        row.insert(db).await?;
    }
    Ok(())
}

/// The measures this account uses that fit this age group, outcome first.
pub fn measures_for(settings: &OutcomeSettings, age: AgeGroup) -> Vec<MeasureId> {
    MeasureId::all()
        .into_iter()
        .filter(|id| settings.measures.contains(id))
        .filter(|id| match measures::measure(*id).kind {
            MeasureKind::Outcome => outcome_measure_for(age) == *id,
            MeasureKind::Alliance => alliance_measure_for(age) == *id,
            MeasureKind::Symptom => true,
        })
        .collect()
}

pub fn age_of(client: &user::Model) -> AgeGroup {
    // Every client is created with an age group; staff have none and never rate.
    client.age_group.unwrap_or(AgeGroup::Adult)
}

/// The client's open episode, if any.
pub async fn open_episode(
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

/// The open episode, opening the next one when there is none.
async fn current_episode(
    db: &impl ConnectionTrait,
    now: i64,
    client: &user::Model,
) -> Result<episode::Model, AppError> {
    // Read the newest episode once: if it is open, use it; if not, the next number is taken by
    // a unique index, so two requests racing here cannot open two episodes.
    let newest = episode::Entity::find()
        .filter(episode::Column::ClientId.eq(client.id))
        .order_by_desc(episode::Column::Number)
        .one(db)
        .await?;
    if let Some(open) = newest.as_ref().filter(|e| e.closed_at.is_none()) {
        return Ok(open.clone());
    }
    let last = newest.map_or(0, |e| e.number);
    let created = episode::ActiveModel {
        account_id: Set(client.account_id),
        client_id: Set(client.id),
        number: Set(last + 1),
        opened_at: Set(now),
        outcome_flag: Set(Flag::Grey),
        alliance_flag: Set(Flag::Grey),
        ..Default::default()
    }
    .insert(db)
    .await;
    match created {
        Ok(episode) => Ok(episode),
        // Another request opened it at the same moment: use theirs.
        Err(error) if matches!(AppError::from(error.clone()), AppError::Conflict) => {
            open_episode(db, client.id).await?.ok_or(AppError::Conflict)
        }
        Err(error) => Err(error.into()),
    }
}

/// Closes the open episode; the next rating opens a new one.
pub async fn close_episode(state: &AppState, actor_id: i32, client: &user::Model) -> Result<(), AppError> {
    let now = state.now();
    episode::Entity::update_many()
        .col_expr(episode::Column::ClosedAt, Expr::value(now))
        .filter(episode::Column::ClientId.eq(client.id))
        .filter(episode::Column::ClosedAt.is_null())
        .exec(&state.db)
        .await?;
    audit::record(
        &state.db,
        now,
        Event::new("episode.closed", "success")
            .account(client.account_id)
            .actor(actor_id)
            .subject(format!("client {}", client.id)),
    )
    .await
}

/// Opens a new episode now (closing any open one).
pub async fn start_new_episode(
    state: &AppState,
    actor_id: i32,
    client: &user::Model,
) -> Result<(), AppError> {
    close_episode(state, actor_id, client).await?;
    current_episode(&state.db, state.now(), client).await?;
    audit::record(
        &state.db,
        state.now(),
        Event::new("episode.opened", "success")
            .account(client.account_id)
            .actor(actor_id)
            .subject(format!("client {}", client.id)),
    )
    .await
}

/// How a rating was recorded.
pub use entities::values::RatingSource as Source;

/// A rating as submitted: measure, optional session, and item texts or a total.
pub struct Submission<'a> {
    pub measure: &'a str,
    pub session: &'a str,
    pub items: Vec<&'a str>,
    pub total: &'a str,
}

/// Parses a submission for this client; every problem names its field.
pub fn parse_submission(
    settings: &OutcomeSettings,
    client: &user::Model,
    submission: &Submission<'_>,
) -> Result<(MeasureId, Option<i32>, Vec<f64>), Vec<FieldError>> {
    let Some(id) = MeasureId::parse(submission.measure) else {
        return Err(vec![FieldError::new("measure", "Choose a measure.")]);
    };
    if !settings.measures.contains(&id) {
        return Err(vec![FieldError::new(
            "measure",
            "Your practice has switched that measure off.",
        )]);
    }
    let measure = measures::measure(id);
    let age = age_of(client);
    let suits = match measure.kind {
        MeasureKind::Outcome => outcome_measure_for(age) == id,
        MeasureKind::Alliance => alliance_measure_for(age) == id,
        MeasureKind::Symptom => true,
    };
    if !suits {
        return Err(vec![FieldError::new(
            "measure",
            format!(
                "{} is not the version for this client's age group ({}).",
                measure.short,
                age.as_str()
            ),
        )]);
    }
    let mut errors = Vec::new();
    let session = match submission.session.trim() {
        "" => None,
        raw => match raw.parse::<i32>() {
            Ok(n) if (1..=500).contains(&n) => Some(n),
            _ => {
                errors.push(FieldError::new(
                    "session",
                    "Session must be a whole number from 1 to 500.",
                ));
                None
            }
        },
    };
    let any_item = submission.items.iter().any(|i| !i.trim().is_empty());
    let items = match (any_item, submission.total.trim().is_empty()) {
        (true, false) => {
            errors.push(FieldError::new(
                "total",
                "Enter the item scores or a total, not both.",
            ));
            None
        }
        (false, false) => measure
            .from_total(submission.total)
            .map_err(|e| errors.push(e))
            .ok(),
        _ => {
            let raw: Vec<&str> = (0..measure.items.len())
                .map(|i| submission.items.get(i).copied().unwrap_or(""))
                .collect();
            measure.parse_items(&raw).map_err(|e| errors.extend(e)).ok()
        }
    };
    if submission.items.len() > measure.items.len()
        && submission.items[measure.items.len()..]
            .iter()
            .any(|i| !i.trim().is_empty())
    {
        errors.push(FieldError::new(
            "measure",
            format!("{} has only {} items.", measure.short, measure.items.len()),
        ));
    }
    match items {
        Some(items) if errors.is_empty() => Ok((id, session, items)),
        _ => Err(errors),
    }
}

/// Stores a rating. A rating that is acknowledged is stored: the episode summary is then brought
/// up to date, and a PHQ-9 item 9 answer of 1 or more raises the safety alert at once.
pub async fn record(
    state: &AppState,
    actor_id: i32,
    client: &user::Model,
    id: MeasureId,
    session: Option<i32>,
    items: Vec<f64>,
    source: Source,
) -> Result<rating::Model, AppError> {
    let measure = measures::measure(id);
    let now = state.now();
    let episode = current_episode(&state.db, now, client).await?;
    let total = measure.total(&items);
    let items_json = serde_json::to_string(&items).map_err(|e| AppError::Internal(e.to_string()))?;
    let explicit = session.is_some();
    let mut stored = None;
    // An automatic session number can collide with a concurrent submission: take the next one.
    for _ in 0..5 {
        let number = match session {
            Some(n) => n,
            None => next_session(&state.db, &episode, measure.kind).await?,
        };
        let inserted = rating::ActiveModel {
            account_id: Set(client.account_id),
            client_id: Set(client.id),
            episode_id: Set(episode.id),
            session: Set(number),
            measure: Set(id.as_str().to_string()),
            items: Set(items_json.clone()),
            total: Set(total),
            source: Set(source),
            entered_by: Set(actor_id),
            at: Set(now),
            ..Default::default()
        }
        .insert(&state.db)
        .await;
        match inserted {
            Ok(row) => {
                stored = Some(row);
                break;
            }
            Err(error) => match AppError::from(error) {
                // Only an outcome measure moves on to the next session; anything else is a duplicate.
                AppError::Conflict if explicit || measure.kind != MeasureKind::Outcome => {
                    return Err(AppError::Invalid(vec![FieldError::new(
                        "session",
                        format!(
                            "Session {number} already has a {} rating in this episode.",
                            measure.short
                        ),
                    )]));
                }
                AppError::Conflict => {}
                other => return Err(other),
            },
        }
    }
    let stored = stored.ok_or(AppError::Conflict)?;
    audit::record(
        &state.db,
        now,
        Event::new("rating.recorded", "success")
            .account(client.account_id)
            .actor(actor_id)
            .subject(format!("client {}", client.id))
            .details(format!(
                "{} session {} total {:.1} ({})",
                measure.short,
                stored.session,
                total,
                source.as_str()
            )),
    )
    .await?;
    refresh_summary(state, client, episode.id).await?;
    if measure.safety_alert(&items) {
        raise_safety_alert(state, client, &stored).await?;
    }
    Ok(stored)
}

/// The session a rating without a number belongs to: an outcome rating opens the next session;
/// alliance and symptom measures belong to the latest one.
async fn next_session(
    db: &impl ConnectionTrait,
    episode: &episode::Model,
    kind: MeasureKind,
) -> Result<i32, AppError> {
    let ratings = rating::Entity::find()
        .filter(rating::Column::EpisodeId.eq(episode.id))
        .all(db)
        .await?;
    let latest = ratings.iter().map(|r| r.session).max().unwrap_or(0);
    let outcome_sessions: Vec<i32> = ratings
        .iter()
        .filter(|r| {
            MeasureId::parse(&r.measure).is_some_and(|m| measures::measure(m).kind == MeasureKind::Outcome)
        })
        .map(|r| r.session)
        .collect();
    Ok(match kind {
        MeasureKind::Outcome => outcome_sessions
            .iter()
            .max()
            .map_or(latest.max(1), |m| m + 1)
            .max(latest),
        _ => latest.max(1),
    })
}

/// What the page, the API and the dashboards know about one episode.
pub struct EpisodeRecord {
    pub episode: episode::Model,
    pub ratings: Vec<rating::Model>,
    pub outcome_measure: MeasureId,
    pub alliance_measure: MeasureId,
    pub outcome: Vec<(i32, f64)>,
    pub alliance: Vec<(i32, f64)>,
    pub trajectory: Option<crate::domain::etr::Trajectory>,
    pub outcome_flag: FlagResult,
    pub alliance_flag: FlagResult,
    pub change: ChangeSummary,
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
        .and_then(|intake| crate::domain::etr::expected_path(*intake, youth, outcome_scores.len(), sessions));
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

        episode,
        ratings,
        outcome_measure,
        alliance_measure,
        outcome,
        alliance,
        trajectory,
    }
}

/// Copies what dashboards need from a record into its episode row.
pub fn apply_summary(row: &mut episode::ActiveModel, record: &EpisodeRecord, now: i64) {
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

/// Recomputes the episode's summary row from its ratings.
async fn refresh_summary(state: &AppState, client: &user::Model, episode_id: i32) -> Result<(), AppError> {
    let settings = settings(&state.db, client.account_id).await?;
    let Some(episode) = episode::Entity::find_by_id(episode_id).one(&state.db).await? else {
        return Err(AppError::NotFound);
    };
    let ratings = rating::Entity::find()
        .filter(rating::Column::EpisodeId.eq(episode_id))
        .all(&state.db)
        .await?;
    let record = build_record(client, &settings, episode.clone(), ratings);
    let mut row = episode.into_active_model();
    apply_summary(&mut row, &record, state.now());
    row.update(&state.db).await?;
    Ok(())
}

async fn raise_safety_alert(
    state: &AppState,
    client: &user::Model,
    stored: &rating::Model,
) -> Result<(), AppError> {
    let now = state.now();
    safety_alert::ActiveModel {
        account_id: Set(client.account_id),
        client_id: Set(client.id),
        rating_id: Set(stored.id),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(&state.db)
    .await?;
    audit::record(
        &state.db,
        now,
        Event::new("safety.alert", "success")
            .account(client.account_id)
            .subject(format!("client {}", client.id))
            .details("PHQ-9 item 9 answered 1 or more"),
    )
    .await?;
    // The provider and their supervisor are told at once; no clinical detail goes in the mail.
    let provider = match client.provider_id {
        Some(id) => user::Entity::find_by_id(id).one(&state.db).await?,
        None => None,
    };
    let supervisor = match provider.as_ref().and_then(|p| p.supervisor_id) {
        Some(id) => user::Entity::find_by_id(id).one(&state.db).await?,
        None => None,
    };
    let link = format!(
        "{}/clients/{}",
        state.settings.public_url.as_str().trim_end_matches('/'),
        client.id
    );
    for person in [provider, supervisor].into_iter().flatten() {
        if let Some(email) = person.email.as_deref() {
            let body = format!(
                "A client in your caseload answered a safety question in a way that needs your attention today.\n\nOpen the client's page in Outcomes: {link}\n"
            );
            state
                .mailer
                .send(email, "Outcomes: safety alert for a client", &body)
                .await;
        }
    }
    Ok(())
}

/// Marks a client's open safety alerts as seen.
pub async fn acknowledge_alerts(
    state: &AppState,
    actor_id: i32,
    client: &user::Model,
) -> Result<(), AppError> {
    safety_alert::Entity::update_many()
        .col_expr(safety_alert::Column::AcknowledgedAt, Expr::value(state.now()))
        .col_expr(safety_alert::Column::AcknowledgedBy, Expr::value(actor_id))
        .filter(safety_alert::Column::ClientId.eq(client.id))
        .filter(safety_alert::Column::AcknowledgedAt.is_null())
        .exec(&state.db)
        .await?;
    audit::record(
        &state.db,
        state.now(),
        Event::new("safety.acknowledged", "success")
            .account(client.account_id)
            .actor(actor_id)
            .subject(format!("client {}", client.id)),
    )
    .await
}

pub async fn open_alerts(
    db: &impl ConnectionTrait,
    client_id: i32,
) -> Result<Vec<safety_alert::Model>, AppError> {
    Ok(safety_alert::Entity::find()
        .filter(safety_alert::Column::ClientId.eq(client_id))
        .filter(safety_alert::Column::AcknowledgedAt.is_null())
        .all(db)
        .await?)
}

/// The client's current (or latest) episode with its ratings; `None` before any rating.
pub async fn client_record(
    db: &impl ConnectionTrait,
    client: &user::Model,
    settings: &OutcomeSettings,
) -> Result<Option<EpisodeRecord>, AppError> {
    let episode = match open_episode(db, client.id).await? {
        Some(open) => Some(open),
        None => {
            episode::Entity::find()
                .filter(episode::Column::ClientId.eq(client.id))
                .order_by_desc(episode::Column::Number)
                .one(db)
                .await?
        }
    };
    let Some(episode) = episode else {
        return Ok(None);
    };
    let ratings = rating::Entity::find()
        .filter(rating::Column::EpisodeId.eq(episode.id))
        .all(db)
        .await?;
    Ok(Some(build_record(client, settings, episode, ratings)))
}

/// SPEC §4's JSON shape of one client, used by the API and built from the same record as the page.
#[derive(Debug, Serialize)]
pub struct ClientJson {
    pub id: i32,
    pub first_name: String,
    pub last_name: String,
    pub age_group: String,
    pub episode: Option<EpisodeJson>,
}

#[derive(Debug, Serialize)]
pub struct EpisodeJson {
    pub ratings: Vec<RatingJson>,
    pub etr: Option<EtrJson>,
    pub flags: FlagsJson,
}

#[derive(Debug, Serialize)]
pub struct RatingJson {
    pub measure: String,
    pub session: i32,
    pub items: Vec<f64>,
    pub total: f64,
    pub at: String,
}

#[derive(Debug, Serialize)]
pub struct EtrJson {
    pub intake: f64,
    pub target: f64,
    pub expected_change: f64,
    pub path: Vec<f64>,
}

#[derive(Debug, Serialize)]
pub struct FlagsJson {
    pub outcome: Flag,
    pub alliance: Flag,
}

pub fn client_json(client: &user::Model, record: Option<&EpisodeRecord>) -> ClientJson {
    let round2 = |v: f64| (v * 100.0).round() / 100.0;
    ClientJson {
        id: client.id,
        first_name: client.first_name.clone().unwrap_or_default(),
        last_name: client.last_name.clone().unwrap_or_default(),
        age_group: age_of(client).as_str().to_string(),
        episode: record.map(|r| EpisodeJson {
            ratings: r
                .ratings
                .iter()
                .map(|x| RatingJson {
                    measure: x.measure.clone(),
                    session: x.session,
                    items: serde_json::from_str(&x.items).unwrap_or_default(),
                    total: x.total,
                    at: chrono::DateTime::from_timestamp(x.at, 0)
                        .map(|t| t.to_rfc3339())
                        .unwrap_or_default(),
                })
                .collect(),
            etr: r.trajectory.as_ref().map(|t| EtrJson {
                intake: t.intake,
                target: round2(t.target),
                expected_change: round2(t.expected_change),
                path: t.path.iter().map(|v| round2(*v)).collect(),
            }),
            flags: FlagsJson {
                outcome: r.outcome_flag.flag,
                alliance: r.alliance_flag.flag,
            },
        }),
    }
}

/// A measure the client should complete now.
#[derive(Debug, Serialize)]
pub struct Pending {
    pub id: &'static str,
    pub name: &'static str,
    /// Symptom measures are offered when the provider asks, not required each session.
    pub optional: bool,
}

/// What the client should complete now: the outcome measure at the start of a session, the
/// alliance measure after it; symptom measures are offered as optional.
pub async fn pending_measures(
    db: &impl ConnectionTrait,
    client: &user::Model,
) -> Result<Vec<Pending>, AppError> {
    let settings = settings(db, client.account_id).await?;
    let age = age_of(client);
    let record = client_record(db, client, &settings).await?;
    let open = record.as_ref().filter(|r| r.episode.closed_at.is_none());
    let latest = open.map_or(0, |r| r.ratings.iter().map(|x| x.session).max().unwrap_or(0));
    let rated = |id: MeasureId| {
        open.is_some_and(|r| {
            r.ratings
                .iter()
                .any(|x| x.session == latest && x.measure == id.as_str())
        })
    };
    let mut list = Vec::new();
    for id in measures_for(&settings, age) {
        let m = measures::measure(id);
        let (show, optional) = match m.kind {
            MeasureKind::Outcome => (
                latest == 0 || rated(alliance_measure_for(age)) || !rated(id),
                false,
            ),
            MeasureKind::Alliance => (latest > 0 && rated(outcome_measure_for(age)) && !rated(id), false),
            MeasureKind::Symptom => (!rated(id), true),
        };
        if show {
            list.push(Pending {
                id: id.as_str(),
                name: m.name,
                optional,
            });
        }
    }
    Ok(list)
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
    for chunk in open.chunks(500) {
        let episode_ids: Vec<i32> = chunk.iter().map(|e| e.id).collect();
        let client_ids: Vec<i32> = chunk.iter().map(|e| e.client_id).collect();
        let clients: std::collections::HashMap<i32, user::Model> = user::Entity::find()
            .filter(user::Column::Id.is_in(client_ids))
            .all(db)
            .await?
            .into_iter()
            .map(|c| (c.id, c))
            .collect();
        let mut ratings: std::collections::HashMap<i32, Vec<rating::Model>> =
            std::collections::HashMap::new();
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
            apply_summary(&mut row, &record, episode.last_rated_at.unwrap_or(now));
            row.update(db).await?;
        }
    }
    Ok(())
}

/// Refuses a client's rating of a measure that is not due now (each session takes one outcome
/// and one alliance rating, in that order), so clients cannot invent sessions.
pub async fn check_due(
    db: &impl ConnectionTrait,
    client: &user::Model,
    id: MeasureId,
) -> Result<(), AppError> {
    if pending_measures(db, client)
        .await?
        .iter()
        .any(|p| p.id == id.as_str())
    {
        Ok(())
    } else {
        Err(AppError::Invalid(vec![FieldError::new(
            "measure",
            format!(
                "{} is not due now: your provider will let you know when it is.",
                measures::measure(id).short
            ),
        )]))
    }
}
