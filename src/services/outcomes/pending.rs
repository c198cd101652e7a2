//! What a client should complete now: the outcome measure at the start of a session, the
//! alliance measure after it; symptom measures are offered as optional.

use sea_orm::ConnectionTrait;
use serde::Serialize;

use entities::user;

use super::settings::{OutcomeSettings, age_of, measures_for, settings};
use super::summary::{EpisodeRecord, latest_record};
use crate::domain::FieldError;
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
    /// Symptom measures are offered when the provider asks, not required each session.
    pub optional: bool,
}

fn pending_in(
    settings: &OutcomeSettings,
    client: &user::Model,
    record: Option<&EpisodeRecord>,
) -> Vec<Pending> {
    let age = age_of(client);
    let open = record.filter(|r| r.episode.closed_at.is_none());
    let latest = open.map_or(0, |r| r.ratings.iter().map(|x| x.session).max().unwrap_or(0));
    let rated = |id: MeasureId| {
        open.is_some_and(|r| {
            r.ratings
                .iter()
                .any(|x| x.session == latest && x.measure == id.as_str())
        })
    };
    let mut list = Vec::new();
    for id in measures_for(settings, age) {
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
                plain_name: m.plain_name,
                optional,
            });
        }
    }
    list
}

/// What the client should complete now.
pub async fn pending_measures(
    db: &impl ConnectionTrait,
    client: &VisibleClient,
) -> Result<Vec<Pending>, AppError> {
    let settings = settings(db, client.account_id).await?;
    let record = latest_record(db, client, &settings).await?;
    Ok(pending_in(&settings, client, record.as_ref()))
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
    Ok(OwnProgress {
        pending: pending_in(&settings, client, record.as_ref()),
        shared: record.filter(|_| client.client_sees_graph),
    })
}

/// Refuses a client's rating of a measure that is not due now (each session takes one outcome
/// and one alliance rating, in that order), so clients cannot invent sessions.
pub(super) async fn check_due(
    db: &impl ConnectionTrait,
    client: &VisibleClient,
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
