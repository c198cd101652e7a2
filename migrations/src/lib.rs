//! Database schema for Outcomes: one append-only file per migration, run on SQLite and PostgreSQL.

pub use sea_orm_migration::prelude::*;

mod m20261122_000001_create_foundation;
mod m20261122_000002_create_two_factor;
mod m20261122_000003_create_outcomes;
mod m20261122_000004_create_access_tokens;
mod m20261122_000005_create_authenticators;
mod m20261130_000006_add_sms_destination;
mod m20261130_000010_add_practice_locale;
mod m20261130_000011_add_episode_triage;
mod m20261130_000012_add_list_indexes;
mod m20261130_000020_create_passkeys;
mod m20261130_000030_create_password_resets;
mod m20261130_000031_create_sso;
mod m20261130_000050_create_outbox;
mod m20261130_000051_create_measure_links;
mod m20261130_000052_create_invite_schedules;
mod m20261130_000053_create_symptom_requests;
mod m20261130_000060_add_audit_keyset_indexes;
mod m20261130_000080_add_sso_flow_ip;
mod m20261130_000090_add_caseload_indexes;
mod m20261130_000100_add_search_and_session_indexes;
mod m20261201_000110_add_name_order_index;

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261122_000001_create_foundation::Migration),
            Box::new(m20261122_000002_create_two_factor::Migration),
            Box::new(m20261122_000003_create_outcomes::Migration),
            Box::new(m20261122_000004_create_access_tokens::Migration),
            Box::new(m20261122_000005_create_authenticators::Migration),
            Box::new(m20261130_000006_add_sms_destination::Migration),
            Box::new(m20261130_000010_add_practice_locale::Migration),
            Box::new(m20261130_000011_add_episode_triage::Migration),
            Box::new(m20261130_000012_add_list_indexes::Migration),
            Box::new(m20261130_000020_create_passkeys::Migration),
            Box::new(m20261130_000030_create_password_resets::Migration),
            Box::new(m20261130_000031_create_sso::Migration),
            Box::new(m20261130_000050_create_outbox::Migration),
            Box::new(m20261130_000051_create_measure_links::Migration),
            Box::new(m20261130_000052_create_invite_schedules::Migration),
            Box::new(m20261130_000053_create_symptom_requests::Migration),
            Box::new(m20261130_000060_add_audit_keyset_indexes::Migration),
            Box::new(m20261130_000080_add_sso_flow_ip::Migration),
            Box::new(m20261130_000090_add_caseload_indexes::Migration),
            Box::new(m20261130_000100_add_search_and_session_indexes::Migration),
            Box::new(m20261201_000110_add_name_order_index::Migration),
        ]
    }
}
