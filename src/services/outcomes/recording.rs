//! Recording a rating: the entry is read by its measure's own rules, then the rating, its audit
//! row, the episode's summary and any safety alert are stored in one transaction (all or
//! nothing); the alert's e-mails go after the commit.

use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseTransaction, EntityTrait, QueryFilter, Set,
    TransactionTrait,
};

use entities::{episode, rating, user};

use super::alerts::{self, AlertMail};
use super::begin_write;
use super::episodes::current_episode;
use super::pending::check_due;
use super::settings::{OutcomeSettings, age_of, fits_age, measures_for, settings};
use super::summary::refresh_summary;
use crate::auth::guards::Acting;
use crate::domain::measures::{self, MeasureId, MeasureKind};
use crate::domain::{FieldError, SessionNumber};
use crate::error::AppError;
use crate::services::audit::{self, Event, Origin};
use crate::services::clients::VisibleClient;
use crate::state::AppState;

/// How a rating was recorded.
pub use entities::values::RatingSource as Source;

/// The message for a measure that is not one of ours.
pub const CHOOSE_A_MEASURE: &str = "Choose a measure.";

/// A rating as entered: the measure, the session (blank = work it out), and the item texts or
/// a total from paper. Items stay text until here because each measure has its own range and
/// decimals. A session number that did not parse is reported with the item errors, once the
/// measure itself is accepted.
pub struct Entry<'a> {
    pub measure: MeasureId,
    pub session: Result<Option<SessionNumber>, FieldError>,
    /// `item1`, `item2`, … in order; blank when not sent.
    pub items: Vec<&'a str>,
    pub total: &'a str,
}

/// An entry that passed every rule: ready to store.
struct Checked {
    id: MeasureId,
    session: Option<i32>,
    items: Vec<f64>,
}

/// Checks an entry for this client; every problem names its field.
fn check(
    settings: &OutcomeSettings,
    client: &user::Model,
    entry: &Entry<'_>,
) -> Result<Checked, Vec<FieldError>> {
    let id = entry.measure;
    if !settings.measures.contains(&id) {
        return Err(vec![FieldError::new(
            "measure",
            "Your practice has switched that measure off.",
        )]);
    }
    let measure = measures::measure(id);
    let age = age_of(client);
    if !fits_age(id, age) {
        return Err(vec![FieldError::new(
            "measure",
            format!(
                "{} is not the version for this client's age group ({}).",
                measure.short,
                age.as_str()
            ),
        )]);
    }
    let mut errors = Vec::new();
    let session = match &entry.session {
        Ok(session) => session.map(SessionNumber::get),
        Err(error) => {
            errors.push(error.clone());
            None
        }
    };
    let any_item = entry.items.iter().any(|i| !i.trim().is_empty());
    let items = match (any_item, entry.total.trim().is_empty()) {
        (true, false) => {
            errors.push(FieldError::new(
                "total",
                "Enter the item scores or a total, not both.",
            ));
            None
        }
        (false, false) => measure.from_total(entry.total).map_err(|e| errors.push(e)).ok(),
        _ => {
            let raw: Vec<&str> = (0..measure.items.len())
                .map(|i| entry.items.get(i).copied().unwrap_or(""))
                .collect();
            measure.parse_items(&raw).map_err(|e| errors.extend(e)).ok()
        }
    };
    if entry.items.len() > measure.items.len()
        && entry.items[measure.items.len()..]
            .iter()
            .any(|i| !i.trim().is_empty())
    {
        errors.push(FieldError::new(
            "measure",
            format!("{} has only {} items.", measure.short, measure.items.len()),
        ));
    }
    match items {
        Some(items) if errors.is_empty() => Ok(Checked { id, session, items }),
        _ => Err(errors),
    }
}

/// Staff record a rating for a client in their caseload (in session or from paper). A rating
/// that is acknowledged is stored with its episode summary brought up to date, and a PHQ-9
/// item 9 answer of 1 or more raises the safety alert at once.
pub async fn record(
    state: &AppState,
    actor: &impl Acting,
    client: &VisibleClient,
    entry: Entry<'_>,
    source: Source,
    ip: Option<String>,
) -> Result<rating::Model, AppError> {
    let settings = settings(&state.db, client.account_id).await?;
    let checked = check(&settings, client, &entry).map_err(AppError::Invalid)?;
    let origin = Origin::new(actor.acting_user().id, ip);
    store(state, &origin, client, &settings, checked, source).await
}

/// Whether a client may open this measure's form: one offered to them (else "not found") that
/// is due now.
pub async fn own_measure_due(
    db: &impl ConnectionTrait,
    client: &VisibleClient,
    measure: MeasureId,
) -> Result<bool, AppError> {
    let settings = settings(db, client.account_id).await?;
    if !measures_for(&settings, age_of(client)).contains(&measure) {
        return Err(AppError::NotFound);
    }
    match check_due(db, client, measure).await {
        Ok(_) => Ok(true),
        Err(AppError::Invalid(_)) => Ok(false),
        Err(other) => Err(other),
    }
}

/// A client's own answers (`item1`, `item2`, …) to a measure offered to them ("not found"
/// otherwise) that is due now; no totals and no session numbers, the client is who entered it.
pub async fn record_own(
    state: &AppState,
    client: &VisibleClient,
    measure: MeasureId,
    items: Vec<&str>,
    ip: Option<String>,
) -> Result<rating::Model, AppError> {
    let settings = settings(&state.db, client.account_id).await?;
    if !measures_for(&settings, age_of(client)).contains(&measure) {
        return Err(AppError::NotFound);
    }
    let due_session = check_due(&state.db, client, measure).await?;
    // A questionnaire belongs to the session it was asked for, even when answered before that
    // session's outcome rating; the outcome measure itself opens the next session as usual.
    let session = match measures::measure(measure).kind {
        MeasureKind::Symptom => {
            Some(SessionNumber::new(due_session).map_err(|e| AppError::Invalid(vec![e]))?)
        }
        _ => None,
    };
    let entry = Entry {
        measure,
        session: Ok(session),
        items,
        total: "",
    };
    let checked = check(&settings, client, &entry).map_err(AppError::Invalid)?;
    store(
        state,
        &Origin::new(client.id, ip),
        client,
        &settings,
        checked,
        Source::Client,
    )
    .await
}

/// Whether a stored rating raised a safety alert (PHQ-9 item 9 answered 1 or more): the client
/// who gave it is shown the practice's crisis text at once (SPEC §3.2).
pub fn raised_safety_alert(stored: &rating::Model) -> bool {
    let items: Vec<f64> = serde_json::from_str(&stored.items).unwrap_or_default();
    MeasureId::parse(&stored.measure).is_some_and(|id| measures::measure(id).safety_alert(&items))
}

/// Stores a checked rating and everything that follows from it in one transaction, then sends
/// the safety alert's e-mails (if any).
async fn store(
    state: &AppState,
    origin: &Origin,
    client: &user::Model,
    settings: &OutcomeSettings,
    checked: Checked,
    source: Source,
) -> Result<rating::Model, AppError> {
    let txn = begin_write(&state.db).await?;
    let public_url = state.settings.public_url.as_str();
    let (stored, mail) = store_in(
        &txn,
        state.now(),
        public_url,
        origin,
        client,
        settings,
        checked,
        source,
    )
    .await?;
    txn.commit().await?;
    if let Some(mail) = mail {
        alerts::send(state, mail).await;
    }
    Ok(stored)
}

#[allow(clippy::too_many_arguments)]
async fn store_in(
    txn: &DatabaseTransaction,
    now: i64,
    public_url: &str,
    origin: &Origin,
    client: &user::Model,
    settings: &OutcomeSettings,
    Checked { id, session, items }: Checked,
    source: Source,
) -> Result<(rating::Model, Option<AlertMail>), AppError> {
    let measure = measures::measure(id);
    let episode = current_episode(txn, now, client).await?;
    let total = measure.total(&items);
    let items_json = serde_json::to_string(&items).map_err(|e| AppError::Internal(e.to_string()))?;
    let explicit = session.is_some();
    let mut stored = None;
    // An automatic session number can collide with a concurrent submission: take the next one.
    for _ in 0..5 {
        let number = match session {
            Some(n) => n,
            None => next_session(txn, &episode, measure.kind).await?,
        };
        // A savepoint: on PostgreSQL a refused insert would otherwise abort the whole transaction.
        let attempt = txn.begin().await?;
        let inserted = rating::ActiveModel {
            account_id: Set(client.account_id),
            client_id: Set(client.id),
            episode_id: Set(episode.id),
            session: Set(number),
            measure: Set(id.as_str().to_string()),
            items: Set(items_json.clone()),
            total: Set(total),
            source: Set(source),
            entered_by: Set(origin.actor.unwrap_or(client.id)),
            at: Set(now),
            ..Default::default()
        }
        .insert(&attempt)
        .await;
        match inserted {
            Ok(row) => {
                attempt.commit().await?;
                stored = Some(row);
                break;
            }
            Err(error) => {
                attempt.rollback().await?;
                match AppError::from(error) {
                    // Only an outcome measure moves on to the next session; anything else is a duplicate.
                    AppError::Conflict if explicit || measure.kind != MeasureKind::Outcome => {
                        return Err(AppError::Invalid(vec![FieldError::new(
                            "session",
                            format!(
                                "Session {number} already has a {} rating in this episode.",
                                measure.short
                            ),
                        )]));
                    }
                    AppError::Conflict => {}
                    other => return Err(other),
                }
            }
        }
    }
    let stored = stored.ok_or(AppError::Conflict)?;
    audit::record(
        txn,
        now,
        Event::new("rating.recorded", "success")
            .account(client.account_id)
            .by(origin)
            .subject(format!("client {}", client.id))
            .details(format!(
                "{} session {} total {:.1} ({})",
                measure.short,
                stored.session,
                total,
                source.as_str()
            )),
    )
    .await?;
    if measure.kind == MeasureKind::Symptom {
        super::asking::spend_next_session(txn, client.id, id).await?;
    }
    // The alert first, so that the summary's triage rank counts it.
    let mail = if measure.safety_alert(&items) {
        Some(alerts::raise(txn, now, public_url, client, &stored, origin).await?)
    } else {
        None
    };
    refresh_summary(txn, now, client, settings, episode.id).await?;
    Ok((stored, mail))
}

/// The session a rating without a number belongs to: an outcome rating opens the next session;
/// alliance and symptom measures belong to the latest one.
async fn next_session(
    db: &impl ConnectionTrait,
    episode: &episode::Model,
    kind: MeasureKind,
) -> Result<i32, AppError> {
    let ratings = rating::Entity::find()
        .filter(rating::Column::EpisodeId.eq(episode.id))
        .all(db)
        .await?;
    let latest = ratings.iter().map(|r| r.session).max().unwrap_or(0);
    let outcome_sessions: Vec<i32> = ratings
        .iter()
        .filter(|r| {
            MeasureId::parse(&r.measure).is_some_and(|m| measures::measure(m).kind == MeasureKind::Outcome)
        })
        .map(|r| r.session)
        .collect();
    Ok(match kind {
        MeasureKind::Outcome => outcome_sessions
            .iter()
            .max()
            .map_or(latest.max(1), |m| m + 1)
            .max(latest),
        _ => latest.max(1),
    })
}
