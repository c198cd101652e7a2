//! Black-box tests through HTTP, each on SQLite and (with TEST_POSTGRES_URL) PostgreSQL.

// A test or benchmark that cannot set up must stop loudly: unwrap, expect and panic are its
// assertions here, unlike on the service's request paths.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
// Helpers sit next to the step that needs them, and scores read back are exact to the decimal.
#![allow(clippy::items_after_statements, clippy::float_cmp)]
// Request bodies and reports are assembled as text.
#![allow(clippy::format_push_string, clippy::format_collect)]

#[path = "../common/mod.rs"]
mod common;

mod access;
mod accounts;
mod api;
mod api_caseload;
mod api_records;
mod audit_pages;
mod authenticator;
mod authenticator_api;
mod authenticator_policy;
mod authenticator_recovery;
mod backup;
mod binary;
mod cli;
mod clinicians;
mod clinicians_records;
mod config;
mod export_disconnect;
mod exports;
mod faults;
mod forms;
mod fuzz;
mod hardening;
mod instances;
mod invite_schedules;
mod list_counts;
mod logs;
mod mail;
mod measures_due;
mod measures_link;
mod measures_link_revoked;
mod metrics;
mod migrations;
mod openapi;
mod outbox;
mod outcomes_common;
mod outcomes_dashboards;
mod outcomes_episodes;
mod outcomes_flags;
mod outcomes_my;
mod outcomes_ratings;
mod outcomes_safety;
mod passkeys;
mod passkeys_required;
mod password_reset;
mod probe;
mod probe_sms;
mod scale;
mod sessions;
mod sso;
mod sso_refusals;
mod step_up;
mod telehealth_client;
mod triage;
mod two_factor;
mod two_factor_devices;
mod two_factor_sending;
