//! Instruments tests can hold: the service's notion of "now" (Unix seconds, movable to cross
//! expiry limits) and a count of SQL statements run.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

/// Wall-clock time plus an offset that only tests change.
#[derive(Clone, Default)]
pub struct Clock {
    offset_seconds: Arc<AtomicI64>,
}

impl Clock {
    pub fn now(&self) -> i64 {
        chrono::Utc::now().timestamp() + self.offset_seconds.load(Ordering::SeqCst)
    }

    /// Moves this clock (and every app sharing it) forward.
    pub fn advance(&self, seconds: i64) {
        self.offset_seconds.fetch_add(seconds, Ordering::SeqCst);
    }
}

/// Counts SQL statements (all connections of one app); tests compare it around a request.
#[derive(Clone, Default)]
pub struct QueryCounter {
    count: Arc<AtomicI64>,
}

impl QueryCounter {
    pub fn get(&self) -> i64 {
        self.count.load(Ordering::SeqCst)
    }

    pub fn increment(&self) {
        self.count.fetch_add(1, Ordering::Relaxed);
    }
}

/// Formats Unix seconds to the second (UTC), as the audit log keeps them.
pub fn format_time_seconds(seconds: i64) -> String {
    chrono::DateTime::from_timestamp(seconds, 0)
        .map(|t| t.format("%Y-%m-%d %H:%M:%S UTC").to_string())
        .unwrap_or_default()
}

/// Formats Unix seconds for people (UTC).
pub fn format_time(seconds: i64) -> String {
    chrono::DateTime::from_timestamp(seconds, 0)
        .map(|t| t.format("%Y-%m-%d %H:%M UTC").to_string())
        .unwrap_or_default()
}
