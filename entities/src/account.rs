//! A practice (tenant) with its plan and the owner's settings.
use sea_orm::entity::prelude::*;

use crate::values::Plan;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "accounts")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub name: String,
    pub plan: Plan,
    pub staff_two_factor: bool,
    pub client_two_factor: bool,
    pub device_days: i32,
    pub idle_minutes: i32,
    pub sms_daily_budget: i32,
    pub active: bool,
    pub created_at: i64,
    pub staff_require_authenticator: bool,
    pub admin_require_passkey: bool,
    /// IANA time zone name; times are stored UTC and shown in it.
    pub time_zone: String,
    /// ISO 3166 country whose national phone format is read and shown; `None`: the server's.
    pub phone_region: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(has_many = "super::user::Entity")]
    User,
}

impl Related<super::user::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::User.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
