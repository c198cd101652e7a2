//! A WebAuthn ceremony in flight: the server-side state of one challenge, found by the challenge
//! the browser signs, used once, gone after five minutes.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "webauthn_ceremonies")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    /// base64url of the challenge.
    #[sea_orm(unique)]
    pub challenge: String,
    /// `register`, `sign_in` or `second_step`.
    pub kind: String,
    pub user_id: Option<i32>,
    #[sea_orm(column_type = "Text")]
    pub state_json: String,
    pub expires_at: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
