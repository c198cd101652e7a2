//! Ratings and what follows from them: episodes, the per-episode summary that dashboards read,
//! safety alerts, and the client record that the page and the JSON API both show.
//!
//! `settings` holds the account's measures and thresholds; `episodes` opens and closes
//! episodes; `recording` stores a rating (one transaction); `summary` builds an episode's record
//! and its summary row; `alerts` raises and acknowledges safety alerts; `pending` says what a
//! client should complete now, with `asking` (the questionnaires a provider asks for); `json` is the API's shape of it all.

mod alerts;
mod asking;
mod episodes;
mod json;
mod pending;
mod recording;
mod settings;
mod summary;

use sea_orm::{
    DatabaseConnection, DatabaseTransaction, DbErr, SqliteTransactionMode, TransactionOptions,
    TransactionTrait,
};

pub use alerts::{acknowledge_alerts, has_open_alert};
pub use asking::{asking_of, set_asking};
pub use episodes::{close_episode, start_new_episode};
pub use json::{ClientJson, EpisodeJson, EtrJson, FlagsJson, RatingJson, RecordedJson, viewed_client_json};
pub use pending::{OwnProgress, Pending, own_progress, pending_measures};
pub use recording::{
    CHOOSE_A_MEASURE, Entry, Source, own_measure_due, raised_safety_alert, record, record_own,
};
pub use settings::{OutcomeSettings, age_of, measures_for, save_settings, settings};
pub use summary::{
    EpisodeRecord, apply_summary, build_record, client_record, refresh_account_summaries, session_dates,
};

/// A transaction that writes. On SQLite it takes the write lock at `BEGIN` (`IMMEDIATE`): a
/// transaction that reads first and writes later would otherwise fail at once ("database is
/// locked") when another request wrote in between, instead of waiting its turn.
pub(crate) async fn begin_write(db: &DatabaseConnection) -> Result<DatabaseTransaction, DbErr> {
    db.begin_with_options(TransactionOptions {
        sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
        ..TransactionOptions::default()
    })
    .await
}
