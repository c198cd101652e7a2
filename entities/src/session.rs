//! A server-side session: `pending` after the password step, `full` once signed in.
use sea_orm::entity::prelude::*;

use crate::values::{Factors, SessionState};

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "sessions")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    #[sea_orm(unique)]
    pub token_hash: String,
    pub user_id: i32,
    pub account_id: i32,
    pub state: SessionState,
    pub csrf_token: String,
    pub created_at: i64,
    pub last_seen_at: i64,
    pub expires_at: i64,
    pub factors: Factors,
    pub challenge_id: Option<i32>,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
    /// When this session last passed a second step (code, app, recovery code or passkey); a
    /// sensitive action needs one within 15 minutes.
    pub second_factor_at: Option<i64>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
