//! A request for a password-reset link: counted for the limits whether or not the user exists;
//! for a known user with an e-mail address, the link's token (hashed), valid 60 minutes, used once.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "password_resets")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub login: String,
    pub user_id: Option<i32>,
    pub ip: String,
    #[sea_orm(unique)]
    pub token_hash: Option<String>,
    pub created_at: i64,
    pub expires_at: i64,
    pub used_at: Option<i64>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
