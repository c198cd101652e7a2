//! SeaORM entities for Outcomes: derives and relations only, no logic and no web framework.
//! Times are Unix seconds.

pub mod account;
pub mod audit_log;
pub mod challenge;
pub mod device;
pub mod login_failure;
pub mod session;
pub mod sms_send;
pub mod user;
