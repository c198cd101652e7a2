//! A measures link sent to a client (SPEC §3.1): the token's hash, where it went, its life.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "measure_links")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub account_id: i32,
    pub client_id: i32,
    /// SHA-256 of the token (hex); the token itself is only in the message.
    pub token_hash: String,
    /// `sms`, `email` or `both`.
    pub channel: String,
    /// The measures due when it was sent (comma-separated ids): the link opens these alone.
    pub measures: String,
    pub sent_to_phone: Option<String>,
    pub sent_to_email: Option<String>,
    pub created_by: Option<i32>,
    pub created_at: i64,
    pub expires_at: i64,
    pub spent_at: Option<i64>,
    pub revoked_at: Option<i64>,
    /// When its one reminder went out.
    pub reminded_at: Option<i64>,
    /// A reminder's link: the link it reminds of.
    pub reminder_of: Option<i32>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
