//! What is due for a client now, and so all that `/my` and a measures link list: the outcome
//! measure (ORS, or the age group's version) at the start of each session, the alliance measure
//! after it, and a symptom questionnaire (PHQ-9, GAD-7) only when the provider asks for it at
//! that session (`asking`). A client can answer nothing else.

use sea_orm::ConnectionTrait;
use serde::Serialize;

use entities::user;

use super::asking;
use super::settings::{OutcomeSettings, age_of, measures_for, settings};
use super::summary::{EpisodeRecord, latest_record};
use crate::domain::FieldError;
use crate::domain::asking::Asking;
use crate::domain::measures::{self, MeasureId, MeasureKind, alliance_measure_for, outcome_measure_for};
use crate::error::AppError;
use crate::services::clients::VisibleClient;

/// A measure the client should complete now.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Pending {
    pub id: &'static str,
    pub name: &'static str,
    /// The name clients read (SPEC §3.2).
    pub plain_name: &'static str,
    /// Always false: only due measures are listed, and each one is asked for. (Kept so that
    /// API clients that read it keep working.)
    pub optional: bool,
}

/// A due measure and the session of the episode it belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Due {
    pub id: MeasureId,
    pub session: i32,
}

fn due_in(
    settings: &OutcomeSettings,
    client: &user::Model,
    record: Option<&EpisodeRecord>,
    asked: &[(MeasureId, Asking)],
) -> Vec<Due> {
    let age = age_of(client);
    let open = record.filter(|r| r.episode.closed_at.is_none());
    let ratings = open.map_or(&[][..], |r| r.ratings.as_slice());
    let latest = ratings.iter().map(|x| x.session).max().unwrap_or(0);
    let rated_at = |id: MeasureId, session: i32| {
        ratings
            .iter()
            .any(|x| x.session == session && x.measure == id.as_str())
    };
    let outcome = outcome_measure_for(age);
    let alliance = alliance_measure_for(age);
    // A session starts with the outcome measure and ends with the alliance measure.
    let outcome_due = latest == 0 || rated_at(alliance, latest) || !rated_at(outcome, latest);
    let alliance_due = latest > 0 && rated_at(outcome, latest) && !rated_at(alliance, latest);
    // The session the client is at: the next one once the latest has its outcome rating and
    // another is due; otherwise the latest (or the first).
    let session = if outcome_due && rated_at(outcome, latest) {
        latest + 1
    } else {
        latest.max(1)
    };
    let last_answered = |id: MeasureId| {
        ratings
            .iter()
            .filter(|x| x.measure == id.as_str() && x.session <= session)
            .map(|x| x.session)
            .max()
    };
    measures_for(settings, age)
        .into_iter()
        .filter(|id| match measures::measure(*id).kind {
            MeasureKind::Outcome => outcome_due,
            MeasureKind::Alliance => alliance_due,
            MeasureKind::Symptom => asked
                .iter()
                .find(|(m, _)| m == id)
                .is_some_and(|(_, asking)| asking.due_at(session, last_answered(*id))),
        })
        .map(|id| Due { id, session })
        .collect()
}

fn listed(due: &[Due]) -> Vec<Pending> {
    due.iter()
        .map(|d| {
            let m = measures::measure(d.id);
            Pending {
                id: d.id.as_str(),
                name: m.name,
                plain_name: m.plain_name,
                optional: false,
            }
        })
        .collect()
}

async fn due_now(db: &impl ConnectionTrait, client: &VisibleClient) -> Result<Vec<Due>, AppError> {
    let settings = settings(db, client.account_id).await?;
    let record = latest_record(db, client, &settings).await?;
    let asked = asking::stored(db, client.id).await?;
    Ok(due_in(&settings, client, record.as_ref(), &asked))
}

/// What the client should complete now.
pub async fn pending_measures(
    db: &impl ConnectionTrait,
    client: &VisibleClient,
) -> Result<Vec<Pending>, AppError> {
    Ok(listed(&due_now(db, client).await?))
}

/// The client's own page: what to complete now and, when their provider shares it, their
/// current episode's record for the graph.
pub struct OwnProgress {
    pub pending: Vec<Pending>,
    pub shared: Option<EpisodeRecord>,
}

pub async fn own_progress(
    db: &impl ConnectionTrait,
    client: &VisibleClient,
) -> Result<OwnProgress, AppError> {
    let settings = settings(db, client.account_id).await?;
    let record = latest_record(db, client, &settings).await?;
    let asked = asking::stored(db, client.id).await?;
    Ok(OwnProgress {
        pending: listed(&due_in(&settings, client, record.as_ref(), &asked)),
        shared: record.filter(|_| client.client_sees_graph),
    })
}

/// Refuses a client's rating of a measure that is not due now (each session takes one outcome
/// and one alliance rating, in that order, and the questionnaires asked for), so clients cannot
/// invent sessions. Returns the session the answer belongs to.
pub(super) async fn check_due(
    db: &impl ConnectionTrait,
    client: &VisibleClient,
    id: MeasureId,
) -> Result<i32, AppError> {
    match due_now(db, client).await?.into_iter().find(|d| d.id == id) {
        Some(due) => Ok(due.session),
        None => Err(AppError::Invalid(vec![FieldError::new(
            "measure",
            format!(
                "{} is not due now: your provider will let you know when it is.",
                measures::measure(id).short
            ),
        )])),
    }
}
