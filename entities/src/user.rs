//! A person who signs in: staff (owner, admin, supervisor, provider) or a client.
use sea_orm::entity::prelude::*;

use crate::values::{AgeGroup, Role};

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "users")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub account_id: i32,
    pub role: Role,
    #[sea_orm(unique)]
    pub login: String,
    pub full_name: String,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub password_hash: String,
    pub supervisor_id: Option<i32>,
    pub provider_id: Option<i32>,
    pub age_group: Option<AgeGroup>,
    pub active: bool,
    pub created_at: i64,
    pub updated_at: i64,
    pub code_failures: i32,
    pub code_locked_until: Option<i64>,
    pub client_sees_graph: bool,
    /// The user handle this person's passkeys carry: a random UUID, set with the first one.
    pub webauthn_id: Option<String>,
    // The table also holds `last_session_at` and SQLite's `user_search` table follows each
    // user's name and user ID: both kept by database triggers (migration 000100) and read only
    // by the client lists' SQL, so the app can never write them.
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::account::Entity",
        from = "Column::AccountId",
        to = "super::account::Column::Id"
    )]
    Account,
}

impl Related<super::account::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Account.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
