//! A bearer token of the mobile app's API: only its SHA-256 is stored.
use sea_orm::entity::prelude::*;

use crate::values::Factors;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "access_tokens")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    #[sea_orm(unique)]
    pub token_hash: String,
    pub user_id: i32,
    pub account_id: i32,
    pub created_at: i64,
    pub last_seen_at: i64,
    pub expires_at: i64,
    pub factors: Factors,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
