//! A registered device/browser (or the mobile app) that may skip the SMS code.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "devices")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub user_id: i32,
    pub account_id: i32,
    pub kind: String,
    #[sea_orm(unique)]
    pub selector: String,
    pub secret_hash: String,
    pub label: String,
    pub browser_family: String,
    pub os_family: String,
    pub created_at: i64,
    pub created_ip: Option<String>,
    pub last_used_at: i64,
    pub expires_at: i64,
    pub revoked_at: Option<i64>,
    pub revoked_reason: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
