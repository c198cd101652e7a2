//! Password-guessing limits kept in the database (shared by every instance): per user ID, 10
//! failures in 15 minutes lock it for 15 minutes; per IP, 100 failures in an hour.

use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
    QuerySelect, Set,
};

use entities::login_failure;

use crate::error::AppError;

pub const USER_LIMIT: u64 = 10;
pub const USER_WINDOW: i64 = 15 * 60;
pub const IP_LIMIT: u64 = 100;
pub const IP_WINDOW: i64 = 60 * 60;

fn too_many(retry_after: i64) -> AppError {
    let minutes = (retry_after + 59) / 60;
    AppError::TooMany {
        retry_after,
        message: format!(
            "Too many failed sign-in attempts. Please wait {minutes} minute{} and try again.",
            if minutes == 1 { "" } else { "s" }
        ),
    }
}

/// Refuses the attempt before any password is checked when a limit is reached; otherwise says
/// whether this user ID has recent failures (to be cleared by a correct password).
pub async fn check(db: &impl ConnectionTrait, login: &str, ip: &str, now: i64) -> Result<bool, AppError> {
    // The ten newest failures: if they fall within 15 minutes, the user ID is locked for
    // 15 minutes from the tenth (the newest), however old the first one is.
    let recent: Vec<i64> = login_failure::Entity::find()
        .select_only()
        .column(login_failure::Column::At)
        .filter(login_failure::Column::Login.eq(login))
        .filter(login_failure::Column::At.gt(now - 2 * USER_WINDOW))
        .order_by_desc(login_failure::Column::At)
        .limit(USER_LIMIT)
        .into_tuple()
        .all(db)
        .await?;
    if let (Some(&newest), Some(&oldest)) = (recent.first(), recent.last())
        && recent.len() as u64 >= USER_LIMIT
        && newest - oldest <= USER_WINDOW
        && now < newest + USER_WINDOW
    {
        return Err(too_many(newest + USER_WINDOW - now));
    }
    let from_ip = login_failure::Entity::find()
        .filter(login_failure::Column::Ip.eq(ip))
        .filter(login_failure::Column::At.gt(now - IP_WINDOW))
        .count(db)
        .await?;
    if from_ip >= IP_LIMIT {
        return Err(too_many(IP_WINDOW / 4));
    }
    Ok(!recent.is_empty())
}

pub async fn record_failure(
    db: &impl ConnectionTrait,
    login: &str,
    ip: &str,
    now: i64,
) -> Result<(), AppError> {
    login_failure::ActiveModel {
        login: Set(login.to_string()),
        ip: Set(ip.to_string()),
        at: Set(now),
        ..Default::default()
    }
    .insert(db)
    .await?;
    Ok(())
}

/// A correct password clears that user ID's failures (the IP's stay).
pub async fn clear(db: &impl ConnectionTrait, login: &str) -> Result<(), AppError> {
    login_failure::Entity::delete_many()
        .filter(login_failure::Column::Login.eq(login))
        .exec(db)
        .await?;
    Ok(())
}
