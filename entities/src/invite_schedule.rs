//! A client's invitation schedule (SPEC §3.1): `off`, `weekly`, `fortnightly` or `monthly`.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "invite_schedules")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub client_id: i32,
    pub account_id: i32,
    pub schedule: String,
    /// When the next scheduled link goes out (`None`: off).
    pub next_invite_at: Option<i64>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
