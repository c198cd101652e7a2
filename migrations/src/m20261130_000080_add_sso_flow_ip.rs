//! Single sign-on starts per address: each flow records the address that started it, so
//! `/sso/<practice>` can refuse a flood before it reaches the practice's provider.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum SsoFlows {
    Table,
    Ip,
    CreatedAt,
}

const INDEX: &str = "idx_sso_flows_ip_created_at";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(SsoFlows::Table)
                    .add_column(string_len(SsoFlows::Ip, 64).default(""))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name(INDEX)
                    .table(SsoFlows::Table)
                    .col(SsoFlows::Ip)
                    .col(SsoFlows::CreatedAt)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(Index::drop().name(INDEX).table(SsoFlows::Table).to_owned())
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(SsoFlows::Table)
                    .drop_column(SsoFlows::Ip)
                    .to_owned(),
            )
            .await
    }
}
