//! The operator's commands besides serving (`outcomes migrate`, `backup`, `check`): each reads
//! the same settings as the server and reports in plain lines (see `cli`).

pub mod backup;
pub mod check;
pub mod migrate;

use rocket::figment::Figment;

use crate::config::{self, Settings};

/// The server's settings, read exactly as `serve` reads them.
pub fn settings(figment: Figment) -> Result<Settings, String> {
    Settings::from_figment(&config::prepare_figment(figment)?)
}

/// Whether the configured database is SQLite (the only one `backup` copies itself).
pub fn is_sqlite(settings: &Settings) -> bool {
    settings.database_url.starts_with("sqlite:")
}
