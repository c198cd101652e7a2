//! Black-box tests through HTTP, each on SQLite and (with TEST_POSTGRES_URL) PostgreSQL.

#[path = "../common/mod.rs"]
mod common;

mod access;
mod accounts;
mod api;
mod authenticator;
mod clinicians;
mod clinicians_records;
mod config;
mod faults;
mod forms;
mod fuzz;
mod hardening;
mod instances;
mod invite_schedules;
mod measures_link;
mod migrations;
mod outbox;
mod outcomes_common;
mod outcomes_dashboards;
mod outcomes_episodes;
mod outcomes_flags;
mod outcomes_my;
mod outcomes_ratings;
mod outcomes_safety;
mod passkeys;
mod probe;
mod scale;
mod sessions;
mod step_up;
mod telehealth_client;
mod triage;
mod two_factor;
