//! Moved to `services::second_step`; this name stays only until every caller uses the new one.

pub use super::second_step::*;
