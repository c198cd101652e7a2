//! One way to make a person's row: every column gets a value (none is left to a database
//! default), whoever is being created.

use sea_orm::{ActiveModelTrait, ConnectionTrait, Set};

use entities::user;

use crate::domain::{AgeGroup, Role};
use crate::error::AppError;

/// A person about to be stored. Start from `staff` or `client`, then set what applies.
pub struct NewUser {
    pub account_id: i32,
    pub role: Role,
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
}

impl NewUser {
    /// A staff member (or the owner) with what every staff member has.
    pub fn staff(
        account_id: i32,
        role: Role,
        login: String,
        full_name: String,
        password_hash: String,
    ) -> Self {
        Self {
            account_id,
            role,
            login,
            full_name,
            first_name: None,
            last_name: None,
            email: None,
            phone: None,
            password_hash,
            supervisor_id: None,
            provider_id: None,
            age_group: None,
        }
    }

    /// A client of `provider_id`, named by first and last name.
    pub fn client(
        account_id: i32,
        login: String,
        (first_name, last_name): (String, String),
        age_group: AgeGroup,
        provider_id: i32,
        password_hash: String,
    ) -> Self {
        Self {
            full_name: format!("{first_name} {last_name}"),
            first_name: Some(first_name),
            last_name: Some(last_name),
            age_group: Some(age_group),
            provider_id: Some(provider_id),
            ..Self::staff(account_id, Role::Client, login, String::new(), password_hash)
        }
    }

    /// The row, with every column set.
    pub fn into_active_model(self, now: i64) -> user::ActiveModel {
        user::ActiveModel {
            account_id: Set(self.account_id),
            role: Set(self.role),
            login: Set(self.login),
            full_name: Set(self.full_name),
            first_name: Set(self.first_name),
            last_name: Set(self.last_name),
            email: Set(self.email),
            phone: Set(self.phone),
            password_hash: Set(self.password_hash),
            supervisor_id: Set(self.supervisor_id),
            provider_id: Set(self.provider_id),
            age_group: Set(self.age_group),
            active: Set(true),
            created_at: Set(now),
            updated_at: Set(now),
            code_failures: Set(0),
            code_locked_until: Set(None),
            client_sees_graph: Set(false),
            webauthn_id: Set(None),
            ..Default::default()
        }
    }

    pub async fn insert(self, db: &impl ConnectionTrait, now: i64) -> Result<user::Model, AppError> {
        Ok(self.into_active_model(now).insert(db).await?)
    }
}
