//! Invitation schedules (SPEC §3.1): per client, how often the measures link goes out and
//! when next; and on each link, when its one reminder went (or which link it reminds of).

use sea_orm_migration::{prelude::*, schema::*};

use crate::m20261122_000001_create_foundation::{Accounts, Users};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum InviteSchedules {
    Table,
    ClientId,
    AccountId,
    Schedule,
    NextInviteAt,
}

#[derive(DeriveIden)]
enum MeasureLinks {
    Table,
    RemindedAt,
    ReminderOf,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(InviteSchedules::Table)
                    .col(integer(InviteSchedules::ClientId).primary_key())
                    .col(integer(InviteSchedules::AccountId))
                    .col(string_len(InviteSchedules::Schedule, 12))
                    .col(big_integer_null(InviteSchedules::NextInviteAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(InviteSchedules::Table, InviteSchedules::ClientId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(InviteSchedules::Table, InviteSchedules::AccountId)
                            .to(Accounts::Table, Accounts::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_invite_schedules_next")
                    .table(InviteSchedules::Table)
                    .col(InviteSchedules::NextInviteAt)
                    .to_owned(),
            )
            .await?;
        // One column per statement: SQLite's ALTER TABLE adds one at a time.
        manager
            .alter_table(
                Table::alter()
                    .table(MeasureLinks::Table)
                    .add_column(big_integer_null(MeasureLinks::RemindedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(MeasureLinks::Table)
                    .add_column(integer_null(MeasureLinks::ReminderOf))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for column in [MeasureLinks::ReminderOf, MeasureLinks::RemindedAt] {
            manager
                .alter_table(
                    Table::alter()
                        .table(MeasureLinks::Table)
                        .drop_column(column)
                        .to_owned(),
                )
                .await?;
        }
        manager
            .drop_table(Table::drop().table(InviteSchedules::Table).to_owned())
            .await
    }
}
