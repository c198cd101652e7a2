//! One text or e-mail waiting to go, sent, or given up on (SPEC §3.1 durable outbox).
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "outbox")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    /// The practice the message is for (`None`: the service's own).
    pub account_id: Option<i32>,
    /// `sms` or `email`.
    pub channel: String,
    /// E.164 number or e-mail address.
    pub recipient: String,
    pub subject: String,
    pub body: String,
    /// Why it was sent (`safety_alert`, `measures_link`, `reminder`, `notice`, ...).
    pub purpose: String,
    /// `pending`, `sent` or `failed`.
    pub status: String,
    pub attempts: i32,
    pub next_attempt_at: i64,
    /// A worker holds the row until then; another may take it over after.
    pub claimed_until: i64,
    pub claimed_by: String,
    pub created_at: i64,
    pub sent_at: Option<i64>,
    /// The last error, for the owner's list (never the message body).
    pub last_error: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
