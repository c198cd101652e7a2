//! Dashboards: the caseload table (red first) and the account-wide figures. Each page runs a
//! fixed number of queries whatever the caseload size, reading the episode summaries.

use std::collections::{HashMap, HashSet};

use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect};
use serde::Serialize;

use entities::{episode, safety_alert, user};

use crate::auth::guards::Acting;
use crate::error::AppError;
use crate::services::clients;

#[derive(Debug, Clone, Serialize)]
pub struct CaseloadRow {
    pub id: i32,
    pub full_name: String,
    pub provider_id: Option<i32>,
    pub age_group: String,
    pub sessions: i32,
    pub intake: Option<f64>,
    pub latest: Option<f64>,
    pub change: Option<f64>,
    pub outcome_flag: String,
    pub alliance_flag: String,
    pub safety_alert: bool,
    /// The same numbers as people read them: one decimal, a sign on the change.
    pub display: CaseloadDisplay,
}

#[derive(Debug, Clone, Serialize)]
pub struct CaseloadDisplay {
    pub intake: String,
    pub latest: String,
    pub change: String,
}

fn flag_rank(flag: &str) -> u8 {
    match flag {
        "red" => 0,
        "amber" => 1,
        "green" => 2,
        _ => 3,
    }
}

/// The actor's caseload with each client's latest score, change and flags; alerts and red first.
pub async fn caseload(db: &impl ConnectionTrait, actor: &impl Acting) -> Result<Vec<CaseloadRow>, AppError> {
    let people: Vec<user::Model> = clients::list(db, actor)
        .await?
        .into_iter()
        .filter(|c| c.active)
        .collect();
    let ids: Vec<i32> = people.iter().map(|c| c.id).collect();
    let mut episodes: HashMap<i32, episode::Model> = HashMap::new();
    let mut alerts: HashSet<i32> = HashSet::new();
    // Chunked IN lists keep each statement within the databases' parameter limits.
    for chunk in ids.chunks(5_000) {
        for open in episode::Entity::find()
            .filter(episode::Column::ClientId.is_in(chunk.to_vec()))
            .filter(episode::Column::ClosedAt.is_null())
            .all(db)
            .await?
        {
            episodes.insert(open.client_id, open);
        }
        let alerted: Vec<i32> = safety_alert::Entity::find()
            .select_only()
            .column(safety_alert::Column::ClientId)
            .filter(safety_alert::Column::ClientId.is_in(chunk.to_vec()))
            .filter(safety_alert::Column::AcknowledgedAt.is_null())
            .into_tuple()
            .all(db)
            .await?;
        alerts.extend(alerted);
    }
    let mut rows: Vec<CaseloadRow> = people
        .into_iter()
        .map(|c| {
            let e = episodes.get(&c.id);
            let intake = e.and_then(|e| e.intake);
            let latest = e.and_then(|e| e.latest_outcome);
            CaseloadRow {
                id: c.id,
                provider_id: c.provider_id,
                age_group: c.age_group.clone().unwrap_or_default(),
                sessions: e.map_or(0, |e| e.latest_session),
                intake,
                latest,
                change: intake.zip(latest).map(|(i, l)| ((l - i) * 10.0).round() / 10.0),
                display: CaseloadDisplay {
                    intake: intake.map(|v| format!("{v:.1}")).unwrap_or_default(),
                    latest: latest.map(|v| format!("{v:.1}")).unwrap_or_default(),
                    change: intake
                        .zip(latest)
                        .map(|(i, l)| format!("{:+.1}", l - i))
                        .unwrap_or_default(),
                },
                outcome_flag: e.map_or_else(|| "grey".to_string(), |e| e.outcome_flag.clone()),
                alliance_flag: e.map_or_else(|| "grey".to_string(), |e| e.alliance_flag.clone()),
                safety_alert: alerts.contains(&c.id),
                full_name: c.full_name,
            }
        })
        .collect();
    rows.sort_by(|a, b| {
        (
            !a.safety_alert,
            flag_rank(&a.outcome_flag),
            flag_rank(&a.alliance_flag),
            &a.full_name,
        )
            .cmp(&(
                !b.safety_alert,
                flag_rank(&b.outcome_flag),
                flag_rank(&b.alliance_flag),
                &b.full_name,
            ))
    });
    Ok(rows)
}

/// Account-wide figures (owner, admin) over the episode summaries.
#[derive(Debug, Default, Serialize)]
pub struct AccountFigures {
    pub active_clients: u64,
    pub episodes_in_statistics: u64,
    pub average_intake: Option<f64>,
    pub average_change: Option<f64>,
    pub effect_size: Option<f64>,
    pub on_track_percent: Option<f64>,
    pub reliable_improvement_percent: Option<f64>,
    pub reliable_deterioration_percent: Option<f64>,
    pub clinically_significant_percent: Option<f64>,
    pub open_safety_alerts: u64,
}

type SummaryTuple = (
    Option<f64>,
    Option<f64>,
    Option<f64>,
    String,
    bool,
    bool,
    bool,
    bool,
);

pub async fn account_figures(db: &impl ConnectionTrait, account_id: i32) -> Result<AccountFigures, AppError> {
    let rows: Vec<SummaryTuple> = episode::Entity::find()
        .select_only()
        .column(episode::Column::Intake)
        .column(episode::Column::LatestOutcome)
        .column(episode::Column::EffectSize)
        .column(episode::Column::OutcomeFlag)
        .column(episode::Column::Included)
        .column(episode::Column::ReliableImprovement)
        .column(episode::Column::ReliableDeterioration)
        .column(episode::Column::ClinicallySignificant)
        .filter(episode::Column::AccountId.eq(account_id))
        .filter(episode::Column::ClosedAt.is_null())
        .into_tuple()
        .all(db)
        .await?;
    let active_clients: Vec<i32> = user::Entity::find()
        .select_only()
        .column(user::Column::Id)
        .filter(user::Column::AccountId.eq(account_id))
        .filter(user::Column::Role.eq("client"))
        .filter(user::Column::Active.eq(true))
        .into_tuple()
        .all(db)
        .await?;
    let alerts: Vec<i32> = safety_alert::Entity::find()
        .select_only()
        .column(safety_alert::Column::Id)
        .filter(safety_alert::Column::AccountId.eq(account_id))
        .filter(safety_alert::Column::AcknowledgedAt.is_null())
        .into_tuple()
        .all(db)
        .await?;
    let included: Vec<&SummaryTuple> = rows.iter().filter(|r| r.4).collect();
    let n = included.len() as f64;
    let mean =
        |values: Vec<f64>| (!values.is_empty()).then(|| values.iter().sum::<f64>() / values.len() as f64);
    let percent = |count: usize| (n > 0.0).then(|| 100.0 * count as f64 / n);
    let round1 = |v: Option<f64>| v.map(|v| (v * 10.0).round() / 10.0);
    let round2 = |v: Option<f64>| v.map(|v| (v * 100.0).round() / 100.0);
    let flagged: Vec<&&SummaryTuple> = included.iter().filter(|r| r.3 != "grey").collect();
    Ok(AccountFigures {
        active_clients: active_clients.len() as u64,
        episodes_in_statistics: included.len() as u64,
        average_intake: round1(mean(included.iter().filter_map(|r| r.0).collect())),
        average_change: round1(mean(
            included
                .iter()
                .filter_map(|r| r.0.zip(r.1).map(|(i, l)| l - i))
                .collect(),
        )),
        effect_size: round2(mean(included.iter().filter_map(|r| r.2).collect())),
        on_track_percent: round1((!flagged.is_empty()).then(|| {
            100.0 * flagged.iter().filter(|r| r.3 == "green").count() as f64 / flagged.len() as f64
        })),
        reliable_improvement_percent: round1(percent(included.iter().filter(|r| r.5).count())),
        reliable_deterioration_percent: round1(percent(included.iter().filter(|r| r.6).count())),
        clinically_significant_percent: round1(percent(included.iter().filter(|r| r.7).count())),
        open_safety_alerts: alerts.len() as u64,
    })
}
