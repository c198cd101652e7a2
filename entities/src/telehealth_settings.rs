//! A practice's telehealth settings (SPEC §3.1, §3.2); a practice without a row has the defaults.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "telehealth_settings")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub account_id: i32,
    /// What a client reads after a safety answer; `None`: the default text.
    pub crisis_text: Option<String>,
    pub invite_hours: i32,
    pub send_hour: i32,
    pub reminder_hours: i32,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
