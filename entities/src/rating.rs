//! One completed measure at one session: its items (JSON array) and total.
use sea_orm::entity::prelude::*;

use crate::values::RatingSource;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "ratings")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub account_id: i32,
    pub client_id: i32,
    pub episode_id: i32,
    pub session: i32,
    pub measure: String,
    pub items: String,
    pub total: f64,
    pub source: RatingSource,
    pub entered_by: i32,
    pub at: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
