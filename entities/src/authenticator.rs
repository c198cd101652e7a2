//! A user's authenticator app: the TOTP secret sealed with a key derived from the secret key,
//! and the last time step accepted (a code is accepted once).
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "authenticators")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub user_id: i32,
    pub account_id: i32,
    pub secret_sealed: String,
    pub created_at: i64,
    /// None while the first code has not been entered yet.
    pub confirmed_at: Option<i64>,
    pub last_used_step: Option<i64>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
