//! Second step by SMS: registered devices, code challenges, the send log and per-user failure counters.

use sea_orm_migration::{prelude::*, schema::*};

use crate::m20261122_000001_create_foundation::{Accounts, Users};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // SQLite takes one ALTER option per statement.
        manager
            .alter_table(
                Table::alter()
                    .table(Users::Table)
                    .add_column(integer(UsersTwoFactor::CodeFailures).default(0))
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Users::Table)
                    .add_column(big_integer_null(UsersTwoFactor::CodeLockedUntil))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Devices::Table)
                    .col(pk_auto(Devices::Id))
                    .col(integer(Devices::UserId))
                    .col(integer(Devices::AccountId))
                    .col(string_len(Devices::Kind, 16))
                    .col(string_len_uniq(Devices::Selector, 64))
                    .col(string_len(Devices::SecretHash, 64))
                    .col(string(Devices::Label))
                    .col(string_len(Devices::BrowserFamily, 64))
                    .col(string_len(Devices::OsFamily, 64))
                    .col(big_integer(Devices::CreatedAt))
                    .col(string_len_null(Devices::CreatedIp, 64))
                    .col(big_integer(Devices::LastUsedAt))
                    .col(big_integer(Devices::ExpiresAt))
                    .col(big_integer_null(Devices::RevokedAt))
                    .col(string_len_null(Devices::RevokedReason, 64))
                    .foreign_key(
                        ForeignKey::create()
                            .from(Devices::Table, Devices::UserId)
                            .to(Users::Table, Users::Id),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(Devices::Table, Devices::AccountId)
                            .to(Accounts::Table, Accounts::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_devices_user")
                    .table(Devices::Table)
                    .col(Devices::UserId)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Challenges::Table)
                    .col(pk_auto(Challenges::Id))
                    .col(string_len_uniq(Challenges::PublicId, 64))
                    .col(integer(Challenges::UserId))
                    .col(integer(Challenges::AccountId))
                    .col(string_len(Challenges::Purpose, 16))
                    .col(string_len(Challenges::CodeHash, 64))
                    .col(big_integer(Challenges::CreatedAt))
                    .col(big_integer(Challenges::ExpiresAt))
                    .col(integer(Challenges::Attempts).default(0))
                    .col(integer(Challenges::Sends).default(0))
                    .col(big_integer(Challenges::LastSentAt))
                    .col(big_integer_null(Challenges::ConsumedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(Challenges::Table, Challenges::UserId)
                            .to(Users::Table, Users::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(SmsSends::Table)
                    .col(pk_auto(SmsSends::Id))
                    .col(integer(SmsSends::UserId))
                    .col(integer(SmsSends::AccountId))
                    .col(big_integer(SmsSends::At))
                    .col(boolean(SmsSends::Delivered))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_sms_sends_user_at")
                    .table(SmsSends::Table)
                    .col(SmsSends::UserId)
                    .col(SmsSends::At)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_sms_sends_account_at")
                    .table(SmsSends::Table)
                    .col(SmsSends::AccountId)
                    .col(SmsSends::At)
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(SmsSends::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(Challenges::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(Devices::Table).to_owned())
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Users::Table)
                    .drop_column(UsersTwoFactor::CodeLockedUntil)
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Users::Table)
                    .drop_column(UsersTwoFactor::CodeFailures)
                    .to_owned(),
            )
            .await?;
        Ok(())
    }
}

#[derive(DeriveIden)]
enum UsersTwoFactor {
    CodeFailures,
    CodeLockedUntil,
}

#[derive(DeriveIden)]
enum Devices {
    Table,
    Id,
    UserId,
    AccountId,
    Kind,
    Selector,
    SecretHash,
    Label,
    BrowserFamily,
    OsFamily,
    CreatedAt,
    CreatedIp,
    LastUsedAt,
    ExpiresAt,
    RevokedAt,
    RevokedReason,
}

#[derive(DeriveIden)]
enum Challenges {
    Table,
    Id,
    PublicId,
    UserId,
    AccountId,
    Purpose,
    CodeHash,
    CreatedAt,
    ExpiresAt,
    Attempts,
    Sends,
    LastSentAt,
    ConsumedAt,
}

#[derive(DeriveIden)]
pub enum SmsSends {
    Table,
    Id,
    UserId,
    AccountId,
    At,
    Delivered,
}
