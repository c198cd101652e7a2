//! The JSON API's shapes of outcome data (SPEC §4), built from the same record as the page.

use sea_orm::ConnectionTrait;
use serde::Serialize;

use entities::{rating, user};

use super::settings::{age_of, settings};
use super::summary::{EpisodeRecord, latest_record};
use crate::auth::guards::Acting;
use crate::domain::scoring::Flag;
use crate::error::AppError;
use crate::services::clients::{self, VisibleClient};

/// One client with their current episode.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ClientJson {
    pub id: i32,
    pub first_name: String,
    pub last_name: String,
    pub age_group: String,
    pub episode: Option<EpisodeJson>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct EpisodeJson {
    pub ratings: Vec<RatingJson>,
    pub etr: Option<EtrJson>,
    pub flags: FlagsJson,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct RatingJson {
    pub measure: String,
    pub session: i32,
    pub items: Vec<f64>,
    pub total: f64,
    pub at: String,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct EtrJson {
    pub intake: f64,
    pub target: f64,
    pub expected_change: f64,
    pub path: Vec<f64>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct FlagsJson {
    #[schema(value_type = crate::domain::schema::FlagSchema)]
    pub outcome: Flag,
    #[schema(value_type = crate::domain::schema::FlagSchema)]
    pub alliance: Flag,
}

fn client_json(client: &user::Model, record: Option<&EpisodeRecord>) -> ClientJson {
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

/// A client's record as the app shows it; the view is audited like the page's.
pub async fn viewed_client_json(
    db: &impl ConnectionTrait,
    now: i64,
    actor: &impl Acting,
    client: &VisibleClient,
    ip: Option<String>,
) -> Result<ClientJson, AppError> {
    let settings = settings(db, client.account_id).await?;
    let record = latest_record(db, client, &settings).await?;
    clients::record_view(db, now, actor, client, ip, Some("mobile app")).await?;
    Ok(client_json(client, record.as_ref()))
}

/// A rating as the API answers once it is stored.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct RecordedJson {
    pub measure: String,
    pub session: i32,
    pub total: f64,
    /// The stored item scores (`null` if they could not be read back).
    pub items: Option<Vec<f64>>,
}

impl RecordedJson {
    pub fn of(stored: &rating::Model) -> Self {
        Self {
            measure: stored.measure.clone(),
            session: stored.session,
            total: stored.total,
            items: serde_json::from_str(&stored.items).ok(),
        }
    }
}
