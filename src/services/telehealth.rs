//! A practice's telehealth settings (SPEC §3.1, §3.2): the crisis text a client reads after a
//! safety answer, and the timing of invitations. A practice that never changed them has no row
//! and gets the defaults.

use sea_orm::{ConnectionTrait, EntityTrait};

use entities::telehealth_settings;

use crate::error::AppError;

pub const DEFAULT_CRISIS_TEXT: &str = "If you are in danger or thinking of harming yourself, call or text 988 (US) or your local emergency number now.";

/// The settings with their defaults filled in.
#[derive(Debug, Clone)]
pub struct Telehealth {
    pub crisis_text: String,
    pub invite_hours: i32,
    pub send_hour: i32,
    pub reminder_hours: i32,
}

pub async fn settings(db: &impl ConnectionTrait, account_id: i32) -> Result<Telehealth, AppError> {
    let row = telehealth_settings::Entity::find_by_id(account_id)
        .one(db)
        .await?;
    Ok(match row {
        Some(row) => Telehealth {
            crisis_text: row
                .crisis_text
                .filter(|t| !t.trim().is_empty())
                .unwrap_or_else(|| DEFAULT_CRISIS_TEXT.into()),
            invite_hours: row.invite_hours,
            send_hour: row.send_hour,
            reminder_hours: row.reminder_hours,
        },
        None => Telehealth {
            crisis_text: DEFAULT_CRISIS_TEXT.into(),
            invite_hours: 72,
            send_hour: 10,
            reminder_hours: 48,
        },
    })
}
