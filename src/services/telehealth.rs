//! A practice's telehealth settings (SPEC §3.1, §3.2): the crisis text a client reads after a
//! safety answer, and the timing of invitations. A practice that never changed them has no row
//! and gets the defaults.

use sea_orm::{ActiveModelTrait, ConnectionTrait, EntityTrait, Set};

use entities::telehealth_settings;

use crate::auth::guards::Acting;
use crate::error::AppError;
use crate::services::audit::{self, Event};
use crate::state::AppState;

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

/// Saves the owner's telehealth settings (already checked at the edge) and audits the change.
pub async fn save(
    state: &AppState,
    actor: &impl Acting,
    account_id: i32,
    new: &Telehealth,
    ip: Option<String>,
) -> Result<(), AppError> {
    let crisis = new.crisis_text.trim();
    let row = telehealth_settings::ActiveModel {
        account_id: Set(account_id),
        crisis_text: Set((!crisis.is_empty() && crisis != DEFAULT_CRISIS_TEXT).then(|| crisis.to_string())),
        invite_hours: Set(new.invite_hours),
        send_hour: Set(new.send_hour),
        reminder_hours: Set(new.reminder_hours),
    };
    if telehealth_settings::Entity::find_by_id(account_id)
        .one(&state.db)
        .await?
        .is_some()
    {
        row.update(&state.db).await?;
    } else {
        row.insert(&state.db).await?;
    }
    audit::record(
        &state.db,
        state.now(),
        Event::new("options.telehealth", "success")
            .account(account_id)
            .actor(actor.acting_user().id)
            .ip(ip)
            .details(format!(
                "links last {} h, sent at {}:00, reminder after {} h",
                new.invite_hours, new.send_hour, new.reminder_hours
            )),
    )
    .await
}
