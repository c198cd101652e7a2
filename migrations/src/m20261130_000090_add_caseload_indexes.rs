//! Indexes for a caseload read by provider: clients by (practice, provider), which a
//! supervisor's and a provider's lists and counts walk once per provider, and staff by
//! (practice, supervisor), which finds a supervisor's providers.

use sea_orm_migration::prelude::*;

use crate::m20261122_000001_create_foundation::Users;

#[derive(DeriveMigrationName)]
pub struct Migration;

const BY_PROVIDER: &str = "idx_users_account_provider";
const BY_SUPERVISOR: &str = "idx_users_account_supervisor";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_index(
                Index::create()
                    .name(BY_PROVIDER)
                    .table(Users::Table)
                    .col(Users::AccountId)
                    .col(Users::ProviderId)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name(BY_SUPERVISOR)
                    .table(Users::Table)
                    .col(Users::AccountId)
                    .col(Users::SupervisorId)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for name in [BY_SUPERVISOR, BY_PROVIDER] {
            manager
                .drop_index(Index::drop().name(name).table(Users::Table).to_owned())
                .await?;
        }
        Ok(())
    }
}
