//! Append-only audit trail (HIPAA 164.312(b)).
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "audit_log")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub at: i64,
    pub account_id: Option<i32>,
    pub actor_id: Option<i32>,
    pub action: String,
    pub subject: Option<String>,
    pub ip: Option<String>,
    pub outcome: String,
    #[sea_orm(column_type = "Text", nullable)]
    pub details: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
