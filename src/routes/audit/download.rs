//! `/audit.csv`: the same filters as the page, the whole log streamed by keyset as CSV.

use std::collections::HashMap;

use rocket::http::Header;
use rocket::response::stream::ByteStream;
use rocket::{State, get};

use crate::auth::ManagerUser;
use crate::domain::Locale;
use crate::error::AppError;
use crate::metrics::ExportWatch;
use crate::routes::step_up::FreshSecondFactor;
use crate::services::audit::{self, Entry, Named, subject_person};
use crate::services::practice;
use crate::state::AppState;
use crate::views::FormState;

use super::{AuditQuery, AuditRow, read};
/// The CSV's columns: the first keep their old meaning for existing readers; the practice's
/// local time and the names follow.
const CSV_COLUMNS: [&str; 11] = [
    "time_utc",
    "actor",
    "action",
    "subject",
    "ip",
    "outcome",
    "details",
    "time_local",
    "actor_name",
    "event",
    "subject_name",
];

/// CSV lines for some events, ready to send.
fn csv_lines(
    entries: Vec<Entry>,
    names: &HashMap<i32, Named>,
    locale: &Locale,
) -> Result<Vec<u8>, csv::Error> {
    let mut writer = csv::Writer::from_writer(Vec::new());
    for entry in entries {
        let actor_id = entry.actor_id.map(|a| format!("user {a}")).unwrap_or_default();
        let subject = entry.subject.clone().unwrap_or_default();
        let at_utc = crate::clock::format_time_seconds(entry.at);
        let at_local = locale.rfc3339(entry.at);
        let r = AuditRow::new(entry, names, locale);
        let subject_name = if subject_person(&subject).is_some() {
            r.subject.clone()
        } else {
            String::new()
        };
        writer.write_record([
            at_utc,
            actor_id,
            r.action,
            subject,
            r.ip,
            r.outcome,
            r.details,
            at_local,
            r.actor,
            r.title,
            subject_name,
        ])?;
    }
    writer.into_inner().map_err(|e| e.into_error().into())
}

/// Streams the matching events newest first, a batch at a time (first byte at once, memory flat
/// whatever the log's size); a client that goes away drops the stream and the reading stops.
#[get("/audit.csv?<query..>")]
pub(super) fn csv_export<'r>(
    state: &'r State<AppState>,
    actor: ManagerUser,
    _fresh: FreshSecondFactor,
    query: AuditQuery<'_>,
) -> Result<AuditCsv<impl rocket::futures::Stream<Item = Vec<u8>> + Send + 'r>, AppError> {
    let locale = practice::locale(state, &actor.account);
    let mut form = FormState::default();
    let Some((filters, _)) = read(&query, &locale, &mut form) else {
        let message = form.errors.values().cloned().collect::<Vec<_>>().join(" ");
        return Err(AppError::BadRequest(message));
    };
    let body = ByteStream! {
        // Lives as long as the stream: a client that goes away drops both (counted as stopped).
        let mut watch = ExportWatch::new(state.metrics.clone(), "audit");
        yield header_line();
        let mut cursor = None;
        loop {
            let batch = match audit::entries_after(&state.db, &actor, &filters, cursor).await {
                Ok(batch) if !batch.is_empty() => {
                    watch.batch();
                    batch
                }
                Ok(_) => {
                    watch.complete();
                    break;
                }
                Err(error) => {
                    // The status has left already: the file ends short, and the log says why.
                    rocket::error!("audit export stopped: {error}");
                    break;
                }
            };
            cursor = batch.last().map(|e| (e.at, e.id));
            let names = match audit::names(&state.db, &actor, &batch, None).await {
                Ok(names) => names,
                Err(error) => {
                    rocket::error!("audit export stopped: {error}");
                    break;
                }
            };
            match csv_lines(batch, &names, &locale) {
                Ok(bytes) => yield bytes,
                Err(error) => {
                    rocket::error!("audit export stopped: {error}");
                    break;
                }
            }
        }
    };
    Ok(AuditCsv {
        body,
        disposition: Header::new(
            "Content-Disposition",
            "attachment; filename=\"outcomes-audit.csv\"",
        ),
    })
}

/// The header line, written as the rows are (same quoting and line ending).
fn header_line() -> Vec<u8> {
    let mut writer = csv::Writer::from_writer(Vec::new());
    // Fixed ASCII names into memory cannot fail; an empty header would show if it did.
    writer.write_record(CSV_COLUMNS).ok();
    writer.into_inner().unwrap_or_default()
}

/// The audit log as a file to save, not a page to show.
#[derive(rocket::Responder)]
#[response(content_type = "text/csv")]
pub(super) struct AuditCsv<S> {
    body: ByteStream<S>,
    disposition: Header<'static>,
}
