//! Use cases. Every function takes the acting user (or account), so tenant and caseload
//! scoping cannot be forgotten.

pub mod accounts;
pub mod audit;
pub mod background;
pub mod caseload;
pub mod clients;
pub mod dashboards;
pub mod devices;
pub mod export;
pub mod notify;
pub mod options;
pub mod outbox;
pub mod outcomes;
pub mod password_reset;
pub mod people;
pub mod practice;
pub mod second_factors;
pub mod second_step;
pub mod sign_in;
pub mod sso;
pub mod staff;
pub mod telehealth;
pub mod users;

use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};

use entities::user;

/// The stored rows that use cases hand to routes.
pub use entities::{account::Model as Account, user::Model as User};

use crate::error::AppError;

/// Whether a user ID is already taken anywhere in the service.
pub async fn login_taken(db: &impl ConnectionTrait, login: &str) -> Result<bool, AppError> {
    Ok(user::Entity::find()
        .filter(user::Column::Login.eq(login))
        .one(db)
        .await?
        .is_some())
}
