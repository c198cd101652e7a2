//! Invitation schedules and reminders (SPEC §3.1): a client on `weekly`, `fortnightly` or
//! `monthly` gets the measures link at the practice's `send_hour` in its time zone; a link with
//! nothing answered after `reminder_hours` gets one reminder (0: none). Texts count against the
//! send limits and wait out quiet hours (see `measure_link::create`). Each due row is claimed by
//! one conditional `UPDATE`, so several instances never send the same invitation twice.

use sea_orm::sea_query::Expr;
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, Set};

use entities::{account, invite_schedule, measure_link, rating, user};

use super::VisibleClient;
use super::measure_link::{LinkChannel, NewLink, create};
use crate::auth::guards::Acting;
use crate::domain::TimeZone;
use crate::domain::calendar::{Schedule, next_invitation, next_send_time};
use crate::error::AppError;
use crate::services::audit::{self, Event};
use crate::services::{outcomes, second_step, telehealth};
use crate::state::AppState;

/// The client's schedule (`off` when none was set).
pub async fn schedule_of(state: &AppState, client: &VisibleClient) -> Result<Schedule, AppError> {
    Ok(invite_schedule::Entity::find_by_id(client.id)
        .one(&state.db)
        .await?
        .and_then(|row| Schedule::parse(&row.schedule))
        .unwrap_or(Schedule::Off))
}

/// Sets the client's schedule; the first invitation goes at the next `send_hour`.
pub async fn set(
    state: &AppState,
    actor: &impl Acting,
    account: &account::Model,
    client: &VisibleClient,
    schedule: Schedule,
    ip: Option<String>,
) -> Result<(), AppError> {
    let now = state.now();
    let settings = telehealth::settings(&state.db, client.account_id).await?;
    let zone = TimeZone::from_stored(&account.time_zone).tz();
    let next = match schedule {
        Schedule::Off => None,
        _ => next_send_time(zone, u32::try_from(settings.send_hour).unwrap_or(10), now),
    };
    let row = invite_schedule::ActiveModel {
        client_id: Set(client.id),
        account_id: Set(client.account_id),
        schedule: Set(schedule.as_str().into()),
        next_invite_at: Set(next),
    };
    if invite_schedule::Entity::find_by_id(client.id)
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
        now,
        Event::new("invite.schedule", "success")
            .account(client.account_id)
            .actor(actor.acting_user().id)
            .ip(ip)
            .subject(format!("client {}", client.id))
            .details(format!("invitations {}", schedule.as_str())),
    )
    .await
}

/// The channel a scheduled message takes: every one the client has on file.
fn channel_for(client: &user::Model) -> Option<LinkChannel> {
    match (client.phone.is_some(), client.email.is_some()) {
        (true, true) => Some(LinkChannel::Both),
        (true, false) => Some(LinkChannel::Sms),
        (false, true) => Some(LinkChannel::Email),
        (false, false) => None,
    }
}

/// Drops the text from `channel` when the send limits refuse it (the e-mail still goes).
async fn within_limits(
    state: &AppState,
    client: &user::Model,
    account: &account::Model,
    channel: LinkChannel,
) -> Result<Option<LinkChannel>, AppError> {
    if !channel.texts() {
        return Ok(Some(channel));
    }
    match second_step::reserve_text(state, client, account, None).await {
        Ok(_) => Ok(Some(channel)),
        Err(AppError::TooMany { .. }) => {
            audit::record(
                &state.db,
                state.now(),
                Event::new("invite.text_refused", "failure")
                    .account(client.account_id)
                    .subject(format!("client {}", client.id))
                    .details("a send limit or the practice's text budget was reached"),
            )
            .await?;
            Ok(channel.mails().then_some(LinkChannel::Email))
        }
        Err(other) => Err(other),
    }
}

async fn client_and_account(
    state: &AppState,
    client_id: i32,
) -> Result<Option<(user::Model, account::Model)>, AppError> {
    let Some(client) = user::Entity::find_by_id(client_id).one(&state.db).await? else {
        return Ok(None);
    };
    let Some(account) = account::Entity::find_by_id(client.account_id)
        .one(&state.db)
        .await?
    else {
        return Ok(None);
    };
    Ok((client.active && account.active).then_some((client, account)))
}

/// Sends the invitations that are due; returns how many went.
pub async fn run_due(state: &AppState) -> Result<usize, AppError> {
    let now = state.now();
    let due = invite_schedule::Entity::find()
        .filter(invite_schedule::Column::NextInviteAt.lte(now))
        .all(&state.db)
        .await?;
    let mut sent = 0;
    for row in due {
        let Some(when) = row.next_invite_at else { continue };
        let Some((client, account)) = client_and_account(state, row.client_id).await? else {
            continue;
        };
        let schedule = Schedule::parse(&row.schedule).unwrap_or(Schedule::Off);
        let settings = telehealth::settings(&state.db, client.account_id).await?;
        let zone = TimeZone::from_stored(&account.time_zone).tz();
        let hour = u32::try_from(settings.send_hour).unwrap_or(10);
        // The next one a period after this one; one that fell due long ago (an instance was
        // down) is not repeated for every missed period.
        let mut next = next_invitation(zone, schedule, hour, when);
        while let Some(n) = next.filter(|n| *n <= now) {
            next = next_invitation(zone, schedule, hour, n);
        }
        // SECURITY: the claim; another instance that read the same row changes nothing.
        let claimed = invite_schedule::Entity::update_many()
            .col_expr(invite_schedule::Column::NextInviteAt, Expr::value(next))
            .filter(invite_schedule::Column::ClientId.eq(row.client_id))
            .filter(invite_schedule::Column::NextInviteAt.eq(when))
            .exec(&state.db)
            .await?;
        if claimed.rows_affected != 1 {
            continue;
        }
        let visible = VisibleClient(client.clone());
        let measures: Vec<&str> = outcomes::pending_measures(&state.db, &visible)
            .await?
            .into_iter()
            .map(|p| p.id)
            .collect();
        let Some(channel) = channel_for(&client) else {
            continue;
        };
        if measures.is_empty() {
            continue;
        }
        let Some(channel) = within_limits(state, &client, &account, channel).await? else {
            continue;
        };
        let link = NewLink {
            channel,
            measures: measures.join(","),
            expires_at: None,
            reminder_of: None,
            actor: None,
            purpose: "scheduled_invite",
        };
        create(state, &account, &client, link, None).await?;
        sent += 1;
    }
    Ok(sent)
}

/// Sends the one reminder of each link that has had nothing answered for `reminder_hours`.
pub async fn run_reminders(state: &AppState) -> Result<usize, AppError> {
    let now = state.now();
    let candidates = measure_link::Entity::find()
        .filter(measure_link::Column::ReminderOf.is_null())
        .filter(measure_link::Column::RemindedAt.is_null())
        .filter(measure_link::Column::SpentAt.is_null())
        .filter(measure_link::Column::RevokedAt.is_null())
        .filter(measure_link::Column::ExpiresAt.gt(now))
        .filter(measure_link::Column::CreatedAt.lte(now - 3600))
        .all(&state.db)
        .await?;
    let mut sent = 0;
    for link in candidates {
        let settings = telehealth::settings(&state.db, link.account_id).await?;
        if settings.reminder_hours <= 0 || link.created_at + i64::from(settings.reminder_hours) * 3600 > now {
            continue;
        }
        let answered = rating::Entity::find()
            .filter(rating::Column::ClientId.eq(link.client_id))
            .filter(rating::Column::At.gte(link.created_at))
            .count(&state.db)
            .await?;
        if answered > 0 {
            continue;
        }
        let Some((client, account)) = client_and_account(state, link.client_id).await? else {
            continue;
        };
        // The link dies with a phone or e-mail change; its reminder would go to the new one.
        if client.phone != link.sent_to_phone || client.email != link.sent_to_email {
            continue;
        }
        let claimed = measure_link::Entity::update_many()
            .col_expr(measure_link::Column::RemindedAt, Expr::value(now))
            .filter(measure_link::Column::Id.eq(link.id))
            .filter(measure_link::Column::RemindedAt.is_null())
            .exec(&state.db)
            .await?;
        if claimed.rows_affected != 1 {
            continue;
        }
        let channel = LinkChannel::parse(&link.channel).unwrap_or(LinkChannel::Email);
        let Some(channel) = within_limits(state, &client, &account, channel).await? else {
            continue;
        };
        let reminder = NewLink {
            channel,
            measures: link.measures.clone(),
            expires_at: Some(link.expires_at),
            reminder_of: Some(link.id),
            actor: None,
            purpose: "reminder",
        };
        create(state, &account, &client, reminder, None).await?;
        sent += 1;
    }
    Ok(sent)
}
