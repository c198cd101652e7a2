//! A practice's single sign-on settings (SPEC §2.3): its OpenID provider, client, mode and the
//! short name of its sign-in link.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "sso_settings")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    #[sea_orm(unique)]
    pub account_id: i32,
    #[sea_orm(unique)]
    pub practice: String,
    pub issuer: String,
    pub client_id: String,
    pub client_secret_sealed: Option<String>,
    /// `off`, `optional` or `required`.
    pub mode: String,
    pub second_step: bool,
    pub link_by_email: bool,
    pub updated_at: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
