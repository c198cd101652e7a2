//! Send limits per destination number across the whole service (SECURITY.md "sends per
//! destination number"): each sent code records a keyed tag of the number it went to.

use sea_orm_migration::{prelude::*, schema::*};

use crate::m20261122_000002_create_two_factor::SmsSends;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum SmsSendsDestination {
    Destination,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(SmsSends::Table)
                    .add_column(string_len(SmsSendsDestination::Destination, 64).default(""))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_sms_sends_destination_at")
                    .table(SmsSends::Table)
                    .col(SmsSendsDestination::Destination)
                    .col(SmsSends::At)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(
                Index::drop()
                    .name("idx_sms_sends_destination_at")
                    .table(SmsSends::Table)
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(SmsSends::Table)
                    .drop_column(SmsSendsDestination::Destination)
                    .to_owned(),
            )
            .await
    }
}
