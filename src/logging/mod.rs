//! The service's log (SPEC §5): one line per request (`request::RequestLog`) and every other
//! record of the `log` crate, in text or as one JSON object per line (`log_format`), through one
//! filter that keeps secrets out (SECURITY.md: never a password, code, token or full phone
//! number).
//!
//! Rocket's own logger is replaced: installed first, this one makes Rocket's `set_logger` fail,
//! so Rocket's per-request lines ("GET /m/<token>?…", "Matched: …", its debug dump of every
//! header, cookies included) never print; the request line written here carries what they said.
//! `log_level` keeps Rocket's meaning: `off`; `critical` (warnings, errors and the request
//! lines); `normal` (with information); `debug` (with the service's own debug records; other
//! crates log warnings and errors only, as their debug output holds headers and bodies).

pub mod redact;
pub mod request;

use std::fs::File;
use std::io::Write;
use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::{Mutex, OnceLock};

use log::{Level, LevelFilter, Metadata, Record};
use rocket::config::LogLevel;
use rocket::figment::Figment;

/// How each line is written (`log_format`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Format {
    #[default]
    Text,
    Json,
}

impl Format {
    pub fn parse(text: &str) -> Result<Self, String> {
        match text.trim() {
            "" | "text" => Ok(Self::Text),
            "json" => Ok(Self::Json),
            other => Err(format!("log_format {other:?} must be \"text\" or \"json\"")),
        }
    }
}

/// Rocket's `log_level`, ordered from quiet to verbose.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
#[repr(u8)]
pub enum Verbosity {
    Off = 0,
    Critical = 1,
    Normal = 2,
    Debug = 3,
}

impl Verbosity {
    fn from_u8(value: u8) -> Self {
        match value {
            0 => Self::Off,
            1 => Self::Critical,
            2 => Self::Normal,
            _ => Self::Debug,
        }
    }

    fn filter(self) -> LevelFilter {
        match self {
            Self::Off => LevelFilter::Off,
            Self::Critical => LevelFilter::Warn,
            Self::Normal => LevelFilter::Info,
            Self::Debug => LevelFilter::Trace,
        }
    }
}

impl From<LogLevel> for Verbosity {
    fn from(level: LogLevel) -> Self {
        match level {
            LogLevel::Off => Self::Off,
            LogLevel::Critical => Self::Critical,
            LogLevel::Normal => Self::Normal,
            LogLevel::Debug => Self::Debug,
        }
    }
}

/// `log_level` and `log_format` as a figment holds them; Rocket's default level when unset.
pub fn settings_of(figment: &Figment) -> (Verbosity, Format) {
    let level = figment
        .extract_inner::<LogLevel>("log_level")
        .unwrap_or(if cfg!(debug_assertions) {
            LogLevel::Normal
        } else {
            LogLevel::Critical
        });
    let format = figment
        .extract_inner::<String>("log_format")
        .ok()
        .and_then(|text| Format::parse(&text).ok())
        .unwrap_or_default();
    (level.into(), format)
}

struct Logger {
    format: Format,
    verbosity: AtomicU8,
    /// Tests send everything to a file instead of standard output.
    file: OnceLock<Mutex<File>>,
}

static LOGGER: OnceLock<&'static Logger> = OnceLock::new();

/// Installs this logger for the process, unless one is already installed (the first wins:
/// a process runs one service; tests run many apps under the harness's logger).
pub fn init(verbosity: Verbosity, format: Format) {
    let logger = LOGGER.get_or_init(|| {
        let logger: &'static Logger = Box::leak(Box::new(Logger {
            format,
            verbosity: AtomicU8::new(verbosity as u8),
            file: OnceLock::new(),
        }));
        if log::set_logger(logger).is_ok() {
            log::set_max_level(verbosity.filter());
        }
        logger
    });
    let _ = logger;
}

/// From a figment's `log_level` and `log_format` (see `init`).
pub fn init_from_figment(figment: &Figment) {
    let (verbosity, format) = settings_of(figment);
    init(verbosity, format);
}

/// Tests: every record the service would print at `log_level = "debug"` goes to `file`.
pub fn capture(file: File) {
    init(Verbosity::Debug, Format::Text);
    if let Some(logger) = LOGGER.get() {
        let _ = logger.file.set(Mutex::new(file));
        logger.verbosity.store(Verbosity::Debug as u8, Ordering::Relaxed);
        log::set_max_level(LevelFilter::Trace);
    }
}

fn installed() -> Option<&'static Logger> {
    LOGGER.get().copied()
}

/// Whether request lines are written at all (`log_level = "off"` writes none).
pub fn requests_enabled() -> bool {
    installed().is_none_or(|logger| logger.verbosity() > Verbosity::Off)
}

impl Logger {
    fn verbosity(&self) -> Verbosity {
        Verbosity::from_u8(self.verbosity.load(Ordering::Relaxed))
    }

    fn write(&self, line: &str) {
        if let Some(file) = self.file.get() {
            if let Ok(mut file) = file.lock() {
                let _ = file.write_all(line.as_bytes());
            }
            return;
        }
        // One write of a whole line: lines of concurrent requests never interleave.
        let _ = std::io::stdout().lock().write_all(line.as_bytes());
    }
}

/// Which records are written, whatever `log_level` lets through.
fn keep(metadata: &Metadata<'_>, verbosity: Verbosity) -> bool {
    let level = metadata.level();
    if level > verbosity.filter() {
        return false;
    }
    let target = metadata.target();
    // Rocket's codegen and its server mark per-request detail with a target ending in `_`:
    // "Matched: …", "Request guard `X` failed: <its error, values included>". Errors stay.
    let indented = target.ends_with('_');
    if target.starts_with("rocket::launch") {
        return true;
    }
    if target.starts_with("rocket") {
        // The request heading and debug dumps (info and below) are the request line's job.
        return level <= Level::Error || (level == Level::Warn && !indented);
    }
    if indented {
        return level == Level::Error;
    }
    let ours =
        target.starts_with("outcomes") || target.starts_with("entities") || target.starts_with("migrations");
    // Other crates: warnings and errors (their information is chatter such as PostgreSQL's
    // "relation already exists, skipping"), but which migrations ran.
    ours || level <= Level::Warn || (level == Level::Info && target.starts_with("sea_orm_migration"))
}

impl log::Log for Logger {
    fn enabled(&self, metadata: &Metadata<'_>) -> bool {
        keep(metadata, self.verbosity())
    }

    fn log(&self, record: &Record<'_>) {
        if !self.enabled(record.metadata()) {
            return;
        }
        let text = record.args().to_string();
        // Every unmatched address would print with its query: the request line says 404.
        if record.target().starts_with("rocket") && text.starts_with("No matching routes") {
            return;
        }
        let message = redact::message(text.trim_end());
        let line = match self.format {
            Format::Text => format!("{} {:<5} {}: {message}\n", now(), record.level(), record.target()),
            Format::Json => {
                let object = serde_json::json!({
                    "time": now(),
                    "level": record.level().as_str().to_ascii_lowercase(),
                    "target": record.target(),
                    "message": message,
                });
                format!("{object}\n")
            }
        };
        self.write(&line);
    }

    fn flush(&self) {
        let _ = std::io::stdout().flush();
    }
}

/// UTC to the millisecond.
fn now() -> String {
    chrono::Utc::now().format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string()
}

/// Writes one finished request line (`request::RequestLog` builds it in the app's format).
fn write_request(line: &str) {
    match installed() {
        Some(logger) => logger.write(line),
        // Embedded without this logger (another logger was first): through `log` then.
        None => log::info!(target: "outcomes::request", "{}", line.trim_end()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn meta(target: &str, level: Level) -> bool {
        keep(
            &Metadata::builder().target(target).level(level).build(),
            Verbosity::Debug,
        )
    }

    #[test]
    fn rocket_request_detail_never_passes() {
        assert!(
            !meta("rocket::server", Level::Info),
            "request heading with its query"
        );
        assert!(
            !meta("rocket::server", Level::Debug),
            "the header dump, cookies included"
        );
        assert!(!meta("rocket::server::_", Level::Warn), "per-request chatter");
        assert!(
            !meta("outcomes::routes::login::_", Level::Warn),
            "guard failures with values"
        );
        assert!(!meta("hyper::proto::h1::io", Level::Trace), "bytes on the wire");
        assert!(!meta("sqlx::postgres::notice", Level::Info), "chatter");
        assert!(
            meta("sea_orm_migration::migrator", Level::Info),
            "which migrations ran"
        );
        assert!(meta("rocket::server::_", Level::Error), "a handler panicked");
        assert!(meta("rocket::launch", Level::Info));
        assert!(meta("outcomes::services::outbox", Level::Debug));
    }

    #[test]
    fn critical_keeps_warnings_only() {
        let keep_at = |level| {
            keep(
                &Metadata::builder().target("outcomes::x").level(level).build(),
                Verbosity::Critical,
            )
        };
        assert!(keep_at(Level::Warn));
        assert!(!keep_at(Level::Info));
    }
}
