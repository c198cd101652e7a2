//! An episode of care: a client's numbered sessions from intake until it is closed.
use sea_orm::entity::prelude::*;

use crate::values::Flag;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "episodes")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub account_id: i32,
    pub client_id: i32,
    pub number: i32,
    pub opened_at: i64,
    pub closed_at: Option<i64>,
    pub outcome_count: i32,
    pub latest_session: i32,
    pub intake: Option<f64>,
    pub latest_outcome: Option<f64>,
    pub target: Option<f64>,
    pub latest_alliance: Option<f64>,
    pub outcome_flag: Flag,
    pub alliance_flag: Flag,
    pub included: bool,
    pub reliable_improvement: bool,
    pub reliable_deterioration: bool,
    pub clinically_significant: bool,
    pub effect_size: Option<f64>,
    pub last_rated_at: Option<i64>,
    /// Triage rank (0 open safety alert … 5 no flag yet; see `domain::triage`).
    pub attention: i32,
    /// Since when the client has needed attention (rank 3 or less); `None` otherwise.
    pub off_track_since: Option<i64>,
    /// When the latest session was rated.
    pub last_session_at: Option<i64>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
