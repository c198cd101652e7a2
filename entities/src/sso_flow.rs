//! A single sign-on in flight: what the callback must find (state, nonce, PKCE verifier), kept
//! server side, bound to the browser by a private cookie, used once, gone after ten minutes.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "sso_flows")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    #[sea_orm(unique)]
    pub state_hash: String,
    pub account_id: i32,
    /// `sign_in` or `link`.
    pub purpose: String,
    pub user_id: Option<i32>,
    pub nonce: String,
    pub pkce_verifier: String,
    pub issuer: String,
    pub created_at: i64,
    pub expires_at: i64,
    pub used_at: Option<i64>,
    /// The address that started it (for the per-address limit on starts).
    pub ip: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
