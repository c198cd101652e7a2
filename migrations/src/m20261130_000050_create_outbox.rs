//! The durable outbox (SPEC §3.1): every text and e-mail except a sign-in code is a row that a
//! worker in any instance claims, sends and retries; and each practice's telehealth settings
//! (the crisis text clients see after a safety answer, invitation timing), one row per practice
//! that changed them.

use sea_orm_migration::{prelude::*, schema::*};

use crate::m20261122_000001_create_foundation::Accounts;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Outbox {
    Table,
    Id,
    AccountId,
    Channel,
    Recipient,
    Subject,
    Body,
    Purpose,
    Status,
    Attempts,
    NextAttemptAt,
    ClaimedUntil,
    ClaimedBy,
    CreatedAt,
    SentAt,
    LastError,
}

#[derive(DeriveIden)]
enum TelehealthSettings {
    Table,
    AccountId,
    CrisisText,
    InviteHours,
    SendHour,
    ReminderHours,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Outbox::Table)
                    .col(pk_auto(Outbox::Id))
                    .col(integer_null(Outbox::AccountId))
                    .col(string_len(Outbox::Channel, 8))
                    .col(string_len(Outbox::Recipient, 320))
                    .col(string_len(Outbox::Subject, 200).default(""))
                    .col(text(Outbox::Body))
                    .col(string_len(Outbox::Purpose, 40))
                    .col(string_len(Outbox::Status, 10))
                    .col(integer(Outbox::Attempts).default(0))
                    .col(big_integer(Outbox::NextAttemptAt))
                    .col(big_integer(Outbox::ClaimedUntil).default(0))
                    .col(string_len(Outbox::ClaimedBy, 40).default(""))
                    .col(big_integer(Outbox::CreatedAt))
                    .col(big_integer_null(Outbox::SentAt))
                    .col(string_len(Outbox::LastError, 300).default(""))
                    .foreign_key(
                        ForeignKey::create()
                            .from(Outbox::Table, Outbox::AccountId)
                            .to(Accounts::Table, Accounts::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        // The worker's question: what is pending and due now.
        manager
            .create_index(
                Index::create()
                    .name("idx_outbox_due")
                    .table(Outbox::Table)
                    .col(Outbox::Status)
                    .col(Outbox::NextAttemptAt)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_outbox_account_status")
                    .table(Outbox::Table)
                    .col(Outbox::AccountId)
                    .col(Outbox::Status)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(TelehealthSettings::Table)
                    .col(integer(TelehealthSettings::AccountId).primary_key())
                    .col(text_null(TelehealthSettings::CrisisText))
                    .col(integer(TelehealthSettings::InviteHours).default(72))
                    .col(integer(TelehealthSettings::SendHour).default(10))
                    .col(integer(TelehealthSettings::ReminderHours).default(48))
                    .foreign_key(
                        ForeignKey::create()
                            .from(TelehealthSettings::Table, TelehealthSettings::AccountId)
                            .to(Accounts::Table, Accounts::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(TelehealthSettings::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(Outbox::Table).to_owned())
            .await
    }
}
