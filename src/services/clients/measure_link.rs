//! Measures links (SPEC §3.1): a provider sends `<public_url>/m/<token>` by text, e-mail or both;
//! the link opens only the measures that were due when it was sent, with no name, history or
//! graph, and no password or code. It is spent when they are all answered, and dead once
//! expired (`invite_hours`), or when the client is deactivated or their phone or e-mail changes.

use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set, TransactionTrait,
};

use entities::{measure_link, rating, user};

use super::VisibleClient;
use crate::auth::guards::Acting;
use crate::auth::tokens::{random_token, sha256_hex};
use crate::domain::FieldError;
use crate::domain::measures::MeasureId;
use crate::error::AppError;
use crate::services::audit::{self, Event};
use crate::services::outbox::{self, Channel, Message};
use crate::services::{Account, outcomes, second_step, telehealth};
use crate::state::AppState;

/// How the link goes to the client.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkChannel {
    Sms,
    Email,
    Both,
}

impl LinkChannel {
    pub fn parse(value: &str) -> Option<Self> {
        match value {
            "sms" => Some(Self::Sms),
            "email" => Some(Self::Email),
            "both" => Some(Self::Both),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Sms => "sms",
            Self::Email => "email",
            Self::Both => "both",
        }
    }

    pub fn texts(self) -> bool {
        matches!(self, Self::Sms | Self::Both)
    }

    pub fn mails(self) -> bool {
        matches!(self, Self::Email | Self::Both)
    }
}

/// "3 days", "1 day", "12 hours".
fn lifetime_words(hours: i32) -> String {
    match hours {
        h if h % 24 == 0 && h / 24 == 1 => "1 day".into(),
        h if h % 24 == 0 => format!("{} days", h / 24),
        1 => "1 hour".into(),
        h => format!("{h} hours"),
    }
}

/// The text (SPEC §3.1): no name, clinic or health word; one GSM-7 segment.
pub fn link_message(link: &str, hours: i32) -> String {
    format!(
        "Outcomes: you have a short questionnaire to fill in: {link} It expires in {}.",
        lifetime_words(hours)
    )
}

/// Sends a new measures link to the client; every send is audited, and a text counts against
/// the send limits and the practice's budget (429 when one is reached, nothing sent).
pub async fn send(
    state: &AppState,
    actor: &impl Acting,
    account: &Account,
    client: &VisibleClient,
    channel: LinkChannel,
    ip: Option<String>,
) -> Result<(), AppError> {
    let mut problems = Vec::new();
    if channel.texts() && client.phone.is_none() {
        problems.push(FieldError::new(
            "channel",
            "This client has no phone number on file: add one, or send by e-mail.",
        ));
    }
    if channel.mails() && client.email.is_none() {
        problems.push(FieldError::new(
            "channel",
            "This client has no e-mail address on file: add one, or send by text.",
        ));
    }
    if !client.active {
        problems.push(FieldError::new("channel", "This client is deactivated."));
    }
    let due: Vec<&str> = outcomes::pending_measures(&state.db, client)
        .await?
        .into_iter()
        .map(|p| p.id)
        .collect();
    if due.is_empty() {
        problems.push(FieldError::new(
            "channel",
            "Nothing is due for this client right now.",
        ));
    }
    if !problems.is_empty() {
        return Err(AppError::Invalid(problems));
    }
    // SECURITY: the text is counted before anything is stored, like a sign-in code.
    if channel.texts() {
        second_step::reserve_text(state, client.model(), account, ip.as_deref()).await?;
    }
    let link = NewLink {
        channel,
        measures: due.join(","),
        expires_at: None,
        reminder_of: None,
        actor: Some(actor.acting_user().id),
        purpose: "measures_link",
    };
    create(state, account, client, link, ip).await
}

/// A link about to be made: by a provider, by the schedule, or as a reminder of another.
pub(crate) struct NewLink {
    pub channel: LinkChannel,
    pub measures: String,
    /// `None`: `invite_hours` from now.
    pub expires_at: Option<i64>,
    pub reminder_of: Option<i32>,
    pub actor: Option<i32>,
    pub purpose: &'static str,
}

/// Stores a link and queues its messages (a text in quiet hours waits for 08:00 practice time),
/// audits the send, and tries the messages at once.
pub(crate) async fn create(
    state: &AppState,
    account: &Account,
    client: &user::Model,
    new: NewLink,
    ip: Option<String>,
) -> Result<(), AppError> {
    let settings = telehealth::settings(&state.db, client.account_id).await?;
    let now = state.now();
    // SECURITY: 128 random bits; only the hash is stored.
    let token = random_token::<16>();
    let url = format!(
        "{}/m/{token}",
        state.settings.public_url.as_str().trim_end_matches('/')
    );
    let expires_at = new
        .expires_at
        .unwrap_or(now + i64::from(settings.invite_hours) * 3600);
    let hours_left = i32::try_from(((expires_at - now) + 3599) / 3600).unwrap_or(settings.invite_hours);
    let body = link_message(&url, hours_left);
    let zone = crate::domain::TimeZone::from_stored(&account.time_zone).tz();
    let texts_from = crate::domain::calendar::quiet_until(zone, now).unwrap_or(now);
    let txn = state.db.begin().await?;
    measure_link::ActiveModel {
        account_id: Set(client.account_id),
        client_id: Set(client.id),
        token_hash: Set(sha256_hex(&token)),
        channel: Set(new.channel.as_str().into()),
        measures: Set(new.measures.clone()),
        sent_to_phone: Set(client.phone.clone()),
        sent_to_email: Set(client.email.clone()),
        created_by: Set(new.actor),
        created_at: Set(now),
        expires_at: Set(expires_at),
        spent_at: Set(None),
        revoked_at: Set(None),
        reminded_at: Set(None),
        reminder_of: Set(new.reminder_of),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    let mut ids = Vec::new();
    if let (true, Some(phone)) = (new.channel.texts(), client.phone.as_deref()) {
        let message = Message {
            account_id: Some(client.account_id),
            channel: Channel::Sms,
            to: phone,
            subject: "",
            body: &body,
            purpose: new.purpose,
        };
        ids.push(outbox::enqueue_at(&txn, now, texts_from, message).await?);
    }
    if let (true, Some(email)) = (new.channel.mails(), client.email.as_deref()) {
        let message = Message {
            account_id: Some(client.account_id),
            channel: Channel::Email,
            to: email,
            subject: "Outcomes: a short questionnaire",
            body: &body,
            purpose: new.purpose,
        };
        ids.push(outbox::enqueue(&txn, now, message).await?);
    }
    let event = Event::new("invite.sent", "success")
        .account(client.account_id)
        .ip(ip)
        .subject(format!("client {}", client.id))
        .details(format!(
            "{} by {}",
            new.purpose.replace('_', " "),
            new.channel.as_str()
        ));
    let event = match new.actor {
        Some(actor) => event.actor(actor),
        None => event,
    };
    audit::record(&txn, now, event).await?;
    txn.commit().await?;
    outbox::deliver(&state.postman, &ids).await;
    Ok(())
}

/// Why a link does not open: it never existed, or it no longer works.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refused {
    Unknown,
    Gone,
}

/// An open link: the client it is for, and the measures it still opens.
pub struct OpenLink {
    pub link_id: i32,
    pub client: VisibleClient,
    pub measures: Vec<MeasureId>,
}

/// Opens a link, or says why not. A link whose client was deactivated or whose phone or
/// e-mail changed since it was sent is revoked here.
pub async fn open(state: &AppState, token: &str) -> Result<Result<OpenLink, Refused>, AppError> {
    // SECURITY: looked up by the hash of the whole token; a wrong token matches nothing.
    let Some(link) = measure_link::Entity::find()
        .filter(measure_link::Column::TokenHash.eq(sha256_hex(token)))
        .one(&state.db)
        .await?
    else {
        return Ok(Err(Refused::Unknown));
    };
    let now = state.now();
    if link.spent_at.is_some() || link.revoked_at.is_some() || link.expires_at <= now {
        return Ok(Err(Refused::Gone));
    }
    let Some(client) = user::Entity::find_by_id(link.client_id).one(&state.db).await? else {
        return Ok(Err(Refused::Gone));
    };
    // Either contact changing ends the link, whichever way it went: the details are in doubt.
    // (The change itself revokes it too, `revoke_all`; this catches anything that slipped by.)
    let moved = client.phone != link.sent_to_phone || client.email != link.sent_to_email;
    if !client.active || moved {
        measure_link::Entity::update_many()
            .col_expr(measure_link::Column::RevokedAt, Expr::value(now))
            .filter(measure_link::Column::Id.eq(link.id))
            .exec(&state.db)
            .await?;
        return Ok(Err(Refused::Gone));
    }
    let client = VisibleClient(client);
    let measures = still_open(state, &link, &client).await?;
    if measures.is_empty() {
        spend(state, link.id).await?;
        return Ok(Err(Refused::Gone));
    }
    Ok(Ok(OpenLink {
        link_id: link.id,
        client,
        measures,
    }))
}

/// The link's measures not yet answered since it was sent and still due now.
async fn still_open(
    state: &AppState,
    link: &measure_link::Model,
    client: &VisibleClient,
) -> Result<Vec<MeasureId>, AppError> {
    let answered: Vec<String> = rating::Entity::find()
        .filter(rating::Column::ClientId.eq(client.id))
        .filter(rating::Column::At.gte(link.created_at))
        .all(&state.db)
        .await?
        .into_iter()
        .map(|r| r.measure)
        .collect();
    let due: Vec<&str> = outcomes::pending_measures(&state.db, client)
        .await?
        .into_iter()
        .map(|p| p.id)
        .collect();
    Ok(link
        .measures
        .split(',')
        .filter(|m| !answered.iter().any(|a| a == m))
        .filter(|m| due.contains(m))
        .filter_map(MeasureId::parse)
        .collect())
}

/// Ends every outstanding link of a client, inside the change that calls for it: deactivation,
/// or a new phone number or e-mail address. Changing them back does not revive a link.
pub(crate) async fn revoke_all(db: &impl ConnectionTrait, client_id: i32, now: i64) -> Result<(), AppError> {
    measure_link::Entity::update_many()
        .col_expr(measure_link::Column::RevokedAt, Expr::value(now))
        .filter(measure_link::Column::ClientId.eq(client_id))
        .filter(measure_link::Column::RevokedAt.is_null())
        .filter(measure_link::Column::SpentAt.is_null())
        .exec(db)
        .await?;
    Ok(())
}

async fn spend(state: &AppState, link_id: i32) -> Result<(), AppError> {
    measure_link::Entity::update_many()
        .col_expr(measure_link::Column::SpentAt, Expr::value(state.now()))
        .filter(measure_link::Column::Id.eq(link_id))
        .filter(measure_link::Column::SpentAt.is_null())
        .exec(&state.db)
        .await?;
    Ok(())
}

/// Records one of the link's measures; spends the link when none is left. Returns the stored
/// rating (for the safety message).
pub async fn answer(
    state: &AppState,
    open: &OpenLink,
    measure: MeasureId,
    items: Vec<&str>,
    ip: Option<String>,
) -> Result<Option<rating::Model>, AppError> {
    if !open.measures.contains(&measure) {
        return Ok(None);
    }
    let stored = outcomes::record_own(state, &open.client, measure, items, ip).await?;
    let link = measure_link::Entity::find_by_id(open.link_id)
        .one(&state.db)
        .await?;
    if let Some(link) = link
        && still_open(state, &link, &open.client).await?.is_empty()
    {
        spend(state, link.id).await?;
    }
    Ok(Some(stored))
}

/// The crisis text of the practice a link (in any state) belongs to: the safety message after
/// the last answer must show even though that answer spent the link. Unknown tokens: none.
pub async fn crisis_text_for_token(state: &AppState, token: &str) -> Result<Option<String>, AppError> {
    let link = measure_link::Entity::find()
        .filter(measure_link::Column::TokenHash.eq(sha256_hex(token)))
        .one(&state.db)
        .await?;
    match link {
        Some(link) => Ok(Some(
            telehealth::settings(&state.db, link.account_id)
                .await?
                .crisis_text,
        )),
        None => Ok(None),
    }
}
