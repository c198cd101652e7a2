//! `/export.csv`: every rating in the account, for owners and admins.

use rocket::http::Header;
use rocket::response::stream::ByteStream;
use rocket::{Route, State, get, routes};

use crate::auth::{ManagerUser, RequestMeta};
use crate::domain::measures::{self, MeasureId};
use crate::domain::{AgeGroup, Locale};
use crate::error::AppError;
use crate::routes::step_up::FreshSecondFactor;
use crate::services::export::{self as exports, ExportedRating};
use crate::services::practice;
use crate::state::AppState;

/// The export as a file to save, written while it is read.
#[derive(rocket::Responder)]
#[response(content_type = "text/csv")]
struct CsvFile<S> {
    body: ByteStream<S>,
    disposition: Header<'static>,
}

const COLUMNS: [&str; 13] = [
    "client_id",
    "client_user_id",
    "age_group",
    "episode",
    "session",
    "measure",
    "loinc_total",
    "items",
    "total",
    "source",
    "entered_by",
    "time_utc",
    "time_local",
];

/// One rating as a CSV line: the measure's LOINC code for its total, items space-separated,
/// the time in RFC 3339, in UTC and in the practice's zone.
fn line(r: ExportedRating, locale: &Locale) -> [String; 13] {
    let loinc = MeasureId::parse(&r.measure)
        .and_then(|m| measures::measure(m).loinc)
        .map_or("", |l| l.total);
    let at = chrono::DateTime::from_timestamp(r.at, 0)
        .map(|t| t.to_rfc3339())
        .unwrap_or_default();
    [
        r.client_id.to_string(),
        r.client_login,
        r.age_group.map(AgeGroup::as_str).unwrap_or_default().to_string(),
        r.episode.map(|n| n.to_string()).unwrap_or_default(),
        r.session.to_string(),
        r.measure,
        loinc.to_string(),
        r.items.trim_matches(|c| c == '[' || c == ']').replace(',', " "),
        format!("{:.1}", r.total),
        r.source.to_string(),
        r.entered_by.to_string(),
        at,
        locale.rfc3339(r.at),
    ]
}

/// The header line, written as the rows are (same quoting and line ending).
fn header_bytes() -> Vec<u8> {
    let mut writer = csv::Writer::from_writer(Vec::new());
    // Writing fixed ASCII names into memory cannot fail; an empty header would show if it did.
    writer.write_record(COLUMNS).ok();
    writer.into_inner().unwrap_or_default()
}

/// CSV lines for some ratings, ready to send.
fn csv_bytes(rows: Vec<ExportedRating>, locale: &Locale) -> Result<Vec<u8>, csv::Error> {
    let mut writer = csv::Writer::from_writer(Vec::new());
    for rating in rows {
        writer.write_record(line(rating, locale))?;
    }
    writer.into_inner().map_err(|e| e.into_error().into())
}

/// Streams every rating of the account: the header at once, then a batch at a time, so the first
/// byte leaves before the last row is read and memory stays flat (issue 17). A client that goes
/// away drops the stream, and with it the reading.
#[get("/export.csv")]
async fn ratings_csv(
    state: &State<AppState>,
    actor: ManagerUser,
    _fresh: FreshSecondFactor,
    meta: RequestMeta,
) -> Result<CsvFile<impl rocket::futures::Stream<Item = Vec<u8>> + Send + '_>, AppError> {
    let locale = practice::locale(state, &actor.account);
    let mut export = exports::ratings(state, &actor, meta.ip).await?;
    let body = ByteStream! {
        yield header_bytes();
        loop {
            match export.next_batch().await {
                Ok(Some(rows)) => match csv_bytes(rows, &locale) {
                    Ok(bytes) => yield bytes,
                    Err(error) => {
                        rocket::error!("ratings export stopped: {error}");
                        break;
                    }
                },
                Ok(None) => break,
                Err(error) => {
                    // The status has left already: the file ends short, and the log says why.
                    rocket::error!("ratings export stopped: {error}");
                    break;
                }
            }
        }
    };
    Ok(CsvFile {
        body,
        disposition: Header::new(
            "Content-Disposition",
            "attachment; filename=\"outcomes-ratings.csv\"",
        ),
    })
}

pub fn routes() -> Vec<Route> {
    routes![ratings_csv]
}
