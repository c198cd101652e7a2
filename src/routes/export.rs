//! `/export.csv`: every rating in the account, for owners and admins.

use rocket::http::Header;
use rocket::{Route, State, get, routes};

use crate::auth::{ManagerUser, RequestMeta};
use crate::domain::Locale;
use crate::domain::measures::{self, MeasureId};
use crate::error::AppError;
use crate::services::export::{self as exports, ExportedRating};
use crate::services::practice;
use crate::state::AppState;

#[derive(rocket::Responder)]
#[response(content_type = "text/csv")]
struct CsvFile {
    body: String,
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
        .map(|l| l.total)
        .unwrap_or("");
    let at = chrono::DateTime::from_timestamp(r.at, 0)
        .map(|t| t.to_rfc3339())
        .unwrap_or_default();
    [
        r.client_id.to_string(),
        r.client_login,
        r.age_group.map(|a| a.as_str()).unwrap_or_default().to_string(),
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

#[get("/export.csv")]
async fn ratings_csv(
    state: &State<AppState>,
    actor: ManagerUser,
    meta: RequestMeta,
) -> Result<CsvFile, AppError> {
    let internal = |e: csv::Error| AppError::Internal(e.to_string());
    let mut writer = csv::Writer::from_writer(Vec::new());
    writer.write_record(COLUMNS).map_err(internal)?;
    let locale = practice::locale(state, &actor.account);
    for rating in exports::ratings(state, &actor, meta.ip).await? {
        writer.write_record(line(rating, &locale)).map_err(internal)?;
    }
    let bytes = writer
        .into_inner()
        .map_err(|e| AppError::Internal(e.to_string()))?;
    Ok(CsvFile {
        body: String::from_utf8_lossy(&bytes).into_owned(),
        disposition: Header::new(
            "Content-Disposition",
            "attachment; filename=\"outcomes-ratings.csv\"",
        ),
    })
}

pub fn routes() -> Vec<Route> {
    routes![ratings_csv]
}
