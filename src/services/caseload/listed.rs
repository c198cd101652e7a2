//! One client as the lists show them, and the columns a list page reads them from: the client,
//! their open episode's summary and their provider's name.

use sea_orm::FromQueryResult;
use sea_orm::sea_query::{Expr, ExprTrait, JoinType, SelectStatement};

use entities::{episode, user};

use crate::domain::AgeGroup;
use crate::domain::scoring::Flag;
use crate::domain::triage::Attention;

use super::{C, P, c, e};

/// One client as the lists show them.
#[derive(Debug, Clone)]
pub struct ListedClient {
    pub id: i32,
    pub full_name: String,
    pub login: String,
    pub active: bool,
    pub age_group: Option<AgeGroup>,
    pub provider_id: Option<i32>,
    pub provider_name: Option<String>,
    pub sessions: i32,
    pub intake: Option<f64>,
    pub latest: Option<f64>,
    pub outcome_flag: Flag,
    pub alliance_flag: Flag,
    pub attention: Attention,
    pub off_track_since: Option<i64>,
    pub last_session_at: Option<i64>,
}

impl ListedClient {
    /// Latest minus intake, to one decimal.
    pub fn change(&self) -> Option<f64> {
        self.intake
            .zip(self.latest)
            .map(|(i, l)| ((l - i) * 10.0).round() / 10.0)
    }
}

#[derive(FromQueryResult)]
pub(super) struct Stored {
    id: i32,
    full_name: String,
    login: String,
    active: bool,
    age_group: Option<AgeGroup>,
    provider_id: Option<i32>,
    provider_name: Option<String>,
    latest_session: Option<i32>,
    intake: Option<f64>,
    latest_outcome: Option<f64>,
    outcome_flag: Option<Flag>,
    alliance_flag: Option<Flag>,
    attention: Option<i32>,
    off_track_since: Option<i64>,
    last_session_at: Option<i64>,
}

impl From<Stored> for ListedClient {
    fn from(s: Stored) -> Self {
        Self {
            id: s.id,
            full_name: s.full_name,
            login: s.login,
            active: s.active,
            age_group: s.age_group,
            provider_id: s.provider_id,
            provider_name: s.provider_name,
            sessions: s.latest_session.unwrap_or(0),
            intake: s.intake,
            latest: s.latest_outcome,
            outcome_flag: s.outcome_flag.unwrap_or(Flag::Grey),
            alliance_flag: s.alliance_flag.unwrap_or(Flag::Grey),
            attention: s.attention.map_or(Attention::NoFlag, Attention::from_rank),
            off_track_since: s.off_track_since,
            last_session_at: s.last_session_at,
        }
    }
}

/// The columns a `ListedClient` is read from.
pub(super) fn select_listed(rows: &mut SelectStatement) {
    rows.join_as(
        JoinType::LeftJoin,
        user::Entity,
        P,
        Expr::col((P, user::Column::Id)).equals((C, user::Column::ProviderId)),
    );
    rows.expr_as(c(user::Column::Id), "id")
        .expr_as(c(user::Column::FullName), "full_name")
        .expr_as(c(user::Column::Login), "login")
        .expr_as(c(user::Column::Active), "active")
        .expr_as(c(user::Column::AgeGroup), "age_group")
        .expr_as(c(user::Column::ProviderId), "provider_id")
        .expr_as(Expr::col((P, user::Column::FullName)), "provider_name")
        .expr_as(e(episode::Column::LatestSession), "latest_session")
        .expr_as(e(episode::Column::Intake), "intake")
        .expr_as(e(episode::Column::LatestOutcome), "latest_outcome")
        .expr_as(e(episode::Column::OutcomeFlag), "outcome_flag")
        .expr_as(e(episode::Column::AllianceFlag), "alliance_flag")
        .expr_as(e(episode::Column::Attention), "attention")
        .expr_as(e(episode::Column::OffTrackSince), "off_track_since")
        .expr_as(e(episode::Column::LastSessionAt), "last_session_at");
}
