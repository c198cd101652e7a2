//! A symptom questionnaire a provider asks a client for (PHQ-9, GAD-7): every `every` sessions,
//! or at the next session only (`None`). No row: not asked.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "symptom_requests")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub client_id: i32,
    #[sea_orm(primary_key, auto_increment = false)]
    pub measure: String,
    pub account_id: i32,
    pub every: Option<i32>,
    pub asked_at: i64,
    pub asked_by: i32,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
