//! The append-only audit log: one call per event, never updated or deleted; owners and
//! admins read their account's, a page at a time, filtered by person, event and time.

use std::collections::HashMap;

use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, Set,
};

use entities::{audit_log, user};

use crate::domain::Role;
use crate::services::caseload::PAGE_ROWS;

use crate::auth::guards::SignedIn;
use crate::error::AppError;

/// Who made a change and from where: every audit row the change causes carries both
/// (SECURITY.md: actor when there is one, IP always).
#[derive(Debug, Clone, Default)]
pub struct Origin {
    pub actor: Option<i32>,
    pub ip: Option<String>,
}

impl Origin {
    pub fn new(actor: i32, ip: Option<String>) -> Self {
        Self {
            actor: Some(actor),
            ip,
        }
    }
}

/// One event as the caller knows it; `record` stamps it.
pub struct Event<'a> {
    pub account_id: Option<i32>,
    pub actor_id: Option<i32>,
    pub action: &'a str,
    pub subject: Option<String>,
    pub ip: Option<String>,
    pub outcome: &'a str,
    pub details: Option<String>,
}

impl<'a> Event<'a> {
    pub fn new(action: &'a str, outcome: &'a str) -> Self {
        Self {
            account_id: None,
            actor_id: None,
            action,
            subject: None,
            ip: None,
            outcome,
            details: None,
        }
    }

    pub fn account(mut self, account_id: i32) -> Self {
        self.account_id = Some(account_id);
        self
    }

    pub fn actor(mut self, actor_id: i32) -> Self {
        self.actor_id = Some(actor_id);
        self
    }

    pub fn subject(mut self, subject: impl Into<String>) -> Self {
        self.subject = Some(subject.into());
        self
    }

    pub fn ip(mut self, ip: Option<String>) -> Self {
        self.ip = ip;
        self
    }

    /// The change's actor and address.
    pub fn by(mut self, origin: &Origin) -> Self {
        self.actor_id = origin.actor.or(self.actor_id);
        self.ip = origin.ip.clone().or(self.ip);
        self
    }

    pub fn details(mut self, details: impl Into<String>) -> Self {
        self.details = Some(details.into());
        self
    }
}

fn row(at: i64, event: Event<'_>) -> audit_log::ActiveModel {
    audit_log::ActiveModel {
        at: Set(at),
        account_id: Set(event.account_id),
        actor_id: Set(event.actor_id),
        action: Set(event.action.to_string()),
        subject: Set(event.subject),
        ip: Set(event.ip),
        outcome: Set(event.outcome.to_string()),
        details: Set(event.details),
        ..Default::default()
    }
}

pub async fn record(db: &impl ConnectionTrait, at: i64, event: Event<'_>) -> Result<(), AppError> {
    row(at, event).insert(db).await?;
    Ok(())
}

/// Several events of one request in one statement (a sign-in's device use and its success).
pub async fn record_all(db: &impl ConnectionTrait, at: i64, events: Vec<Event<'_>>) -> Result<(), AppError> {
    if events.is_empty() {
        return Ok(());
    }
    audit_log::Entity::insert_many(events.into_iter().map(|event| row(at, event)))
        .exec(db)
        .await?;
    Ok(())
}

/// One recorded event as the log page and its CSV show it.
pub struct Entry {
    pub id: i32,
    pub at: i64,
    pub actor_id: Option<i32>,
    pub action: String,
    pub subject: Option<String>,
    pub ip: Option<String>,
    pub outcome: String,
    pub details: Option<String>,
}

impl From<audit_log::Model> for Entry {
    fn from(e: audit_log::Model) -> Self {
        Self {
            id: e.id,
            at: e.at,
            actor_id: e.actor_id,
            action: e.action,
            subject: e.subject,
            ip: e.ip,
            outcome: e.outcome,
            details: e.details,
        }
    }
}

/// The person a subject names ("client 3", "user 2"), if it names one.
pub fn subject_person(subject: &str) -> Option<i32> {
    let (kind, id) = subject.split_once(' ')?;
    matches!(kind, "client" | "user").then(|| id.parse().ok())?
}

/// What the log is narrowed to: a person (as actor or subject), one event, and a time range
/// (`from` inclusive, `until` exclusive, UTC seconds).
#[derive(Debug, Clone, Default)]
pub struct Filters {
    pub person: Option<i32>,
    pub action: Option<String>,
    pub from: Option<i64>,
    pub until: Option<i64>,
}

fn filtered(actor: &SignedIn, filters: &Filters) -> sea_orm::Select<audit_log::Entity> {
    let mut query = audit_log::Entity::find().filter(audit_log::Column::AccountId.eq(actor.account.id));
    if let Some(person) = filters.person {
        query =
            query.filter(Condition::any().add(audit_log::Column::ActorId.eq(person)).add(
                audit_log::Column::Subject.is_in([format!("user {person}"), format!("client {person}")]),
            ));
    }
    if let Some(action) = &filters.action {
        query = query.filter(audit_log::Column::Action.eq(action.as_str()));
    }
    if let Some(from) = filters.from {
        query = query.filter(audit_log::Column::At.gte(from));
    }
    if let Some(until) = filters.until {
        query = query.filter(audit_log::Column::At.lt(until));
    }
    query
}

/// Where a page of the log starts: at the newest event, or just past a cursor (the time and id
/// of an event on the page the reader came from), towards older or newer events.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PageAt {
    Newest,
    Older(i64, i32),
    Newer(i64, i32),
}

/// One page of the log, newest first, and the cursors of its neighbours when it has them.
pub struct LogPage {
    pub rows: Vec<Entry>,
    /// For the newer page: the first row's (time, id).
    pub newer: Option<(i64, i32)>,
    /// For the older page: the last row's (time, id).
    pub older: Option<(i64, i32)>,
}

/// Events older than `(at, id)` (`older`) or newer: `at <= x AND (at < x OR id < y)` rather than
/// a plain OR, so both databases read it as a range of the (…, at, id) indexes.
fn past(
    query: sea_orm::Select<audit_log::Entity>,
    (at, id): (i64, i32),
    older: bool,
) -> sea_orm::Select<audit_log::Entity> {
    if older {
        query.filter(audit_log::Column::At.lte(at)).filter(
            Condition::any()
                .add(audit_log::Column::At.lt(at))
                .add(audit_log::Column::Id.lt(id)),
        )
    } else {
        query.filter(audit_log::Column::At.gte(at)).filter(
            Condition::any()
                .add(audit_log::Column::At.gt(at))
                .add(audit_log::Column::Id.gt(id)),
        )
    }
}

fn newest_first(query: sea_orm::Select<audit_log::Entity>) -> sea_orm::Select<audit_log::Entity> {
    query
        .order_by_desc(audit_log::Column::At)
        .order_by_desc(audit_log::Column::Id)
}

fn oldest_first(query: sea_orm::Select<audit_log::Entity>) -> sea_orm::Select<audit_log::Entity> {
    query
        .order_by_asc(audit_log::Column::At)
        .order_by_asc(audit_log::Column::Id)
}

/// One page (`PAGE_ROWS` events) of the actor's account's events, newest first, by keyset: no
/// count and no offset, so a page deep into millions of events costs what the first does (one
/// statement for the newest page, two for any other: its rows, and whether the way back has any).
pub async fn page(
    db: &impl ConnectionTrait,
    actor: &SignedIn,
    filters: &Filters,
    at: PageAt,
) -> Result<LogPage, AppError> {
    let query = || filtered(actor, filters);
    let (rows, more) = match at {
        PageAt::Newest => read_page(db, newest_first(query())).await?,
        PageAt::Older(t, i) => read_page(db, newest_first(past(query(), (t, i), true))).await?,
        PageAt::Newer(t, i) => {
            let (mut rows, more) = read_page(db, oldest_first(past(query(), (t, i), false))).await?;
            rows.reverse();
            (rows, more)
        }
    };
    let key = |e: &Entry| (e.at, e.id);
    let (newer, older) = match at {
        PageAt::Newest => (None, more.then(|| rows.last().map(key)).flatten()),
        PageAt::Older(t, i) => {
            let first = rows.first().map_or((t, i), key);
            let back = any(db, past(query(), first, false)).await?;
            (
                back.then_some(first),
                more.then(|| rows.last().map(key)).flatten(),
            )
        }
        PageAt::Newer(t, i) => {
            let last = rows.last().map_or((t, i), key);
            let back = any(db, past(query(), last, true)).await?;
            (
                more.then(|| rows.first().map(key)).flatten(),
                back.then_some(last),
            )
        }
    };
    Ok(LogPage { rows, newer, older })
}

/// Up to a page of events and whether there are more past it (one statement: a row more).
async fn read_page(
    db: &impl ConnectionTrait,
    query: sea_orm::Select<audit_log::Entity>,
) -> Result<(Vec<Entry>, bool), AppError> {
    let mut rows: Vec<Entry> = query
        .limit(PAGE_ROWS + 1)
        .all(db)
        .await?
        .into_iter()
        .map(Entry::from)
        .collect();
    let page = usize::try_from(PAGE_ROWS).unwrap_or(usize::MAX);
    let more = rows.len() > page;
    rows.truncate(page);
    Ok((rows, more))
}

async fn any(db: &impl ConnectionTrait, query: sea_orm::Select<audit_log::Entity>) -> Result<bool, AppError> {
    Ok(query
        .select_only()
        .column(audit_log::Column::Id)
        .limit(1)
        .into_tuple::<i32>()
        .one(db)
        .await?
        .is_some())
}

/// Events the CSV reads per statement.
const CSV_BATCH: u64 = 2_000;

/// The next events of the actor's account matching `filters` after `cursor` (the time and id of
/// the last one already handed out), newest first. Keyset paging: each batch is one indexed
/// statement however deep into the log, so a CSV of millions of events reads in flat memory.
pub async fn entries_after(
    db: &impl ConnectionTrait,
    actor: &SignedIn,
    filters: &Filters,
    cursor: Option<(i64, i32)>,
) -> Result<Vec<Entry>, AppError> {
    let mut query = filtered(actor, filters);
    if let Some(cursor) = cursor {
        query = past(query, cursor, true);
    }
    Ok(newest_first(query)
        .limit(CSV_BATCH)
        .all(db)
        .await?
        .into_iter()
        .map(Entry::from)
        .collect())
}

/// A person of the account as the log names them.
#[derive(Debug, Clone)]
pub struct Named {
    pub name: String,
    pub role: Role,
}

/// The names of the people these events mention (actors and subjects), in one statement;
/// people of another account are never named.
pub async fn names(
    db: &impl ConnectionTrait,
    actor: &SignedIn,
    entries: &[Entry],
    also: Option<i32>,
) -> Result<HashMap<i32, Named>, AppError> {
    let mut ids: Vec<i32> = entries
        .iter()
        .flat_map(|e| [e.actor_id, e.subject.as_deref().and_then(subject_person)])
        .flatten()
        .chain(also)
        .collect();
    ids.sort_unstable();
    ids.dedup();
    let mut named = HashMap::new();
    for chunk in ids.chunks(1_000) {
        // By id alone, the practice checked here: with the practice in the WHERE too, SQLite
        // read the practice's index (100,000 clients, 24 ms) instead of the primary key.
        for person in user::Entity::find()
            .filter(user::Column::Id.is_in(chunk.to_vec()))
            .all(db)
            .await?
            .into_iter()
            .filter(|person| person.account_id == actor.account.id)
        {
            named.insert(
                person.id,
                Named {
                    name: person.full_name,
                    role: person.role,
                },
            );
        }
    }
    Ok(named)
}

/// The account's staff, for the log's person filter.
pub async fn staff(db: &impl ConnectionTrait, actor: &SignedIn) -> Result<Vec<(i32, String)>, AppError> {
    Ok(user::Entity::find()
        .filter(user::Column::AccountId.eq(actor.account.id))
        .filter(user::Column::Role.is_in(Role::STAFF))
        .order_by_asc(user::Column::FullName)
        .all(db)
        .await?
        .into_iter()
        .map(|u| (u.id, u.full_name))
        .collect())
}
