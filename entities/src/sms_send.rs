//! One SMS sent (or attempted) for a code, counted against the send limits.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "sms_sends")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub user_id: i32,
    pub account_id: i32,
    pub at: i64,
    pub delivered: bool,
    /// A keyed tag of the number the code went to (limits per destination, whole service).
    pub destination: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
