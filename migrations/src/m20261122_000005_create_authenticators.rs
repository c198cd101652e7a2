//! Authenticator apps (TOTP, secret encrypted) and recovery codes (argon2 hashes) beside SMS,
//! and the owner's "require the authenticator app for staff" option.

use sea_orm_migration::{prelude::*, schema::*};

use crate::m20261122_000001_create_foundation::{Accounts, Users};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Accounts::Table)
                    .add_column(boolean(AccountsAuthenticator::StaffRequireAuthenticator).default(false))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Authenticators::Table)
                    .col(pk_auto(Authenticators::Id))
                    .col(integer(Authenticators::UserId))
                    .col(integer(Authenticators::AccountId))
                    .col(text(Authenticators::SecretSealed))
                    .col(big_integer(Authenticators::CreatedAt))
                    .col(big_integer_null(Authenticators::ConfirmedAt))
                    .col(big_integer_null(Authenticators::LastUsedStep))
                    .foreign_key(
                        ForeignKey::create()
                            .from(Authenticators::Table, Authenticators::UserId)
                            .to(Users::Table, Users::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_authenticators_user")
                    .table(Authenticators::Table)
                    .col(Authenticators::UserId)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(RecoveryCodes::Table)
                    .col(pk_auto(RecoveryCodes::Id))
                    .col(integer(RecoveryCodes::UserId))
                    .col(integer(RecoveryCodes::AccountId))
                    .col(string_len(RecoveryCodes::CodeTag, 8))
                    .col(string_len(RecoveryCodes::CodeHash, 200))
                    .col(big_integer(RecoveryCodes::CreatedAt))
                    .col(big_integer_null(RecoveryCodes::UsedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(RecoveryCodes::Table, RecoveryCodes::UserId)
                            .to(Users::Table, Users::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_recovery_codes_user")
                    .table(RecoveryCodes::Table)
                    .col(RecoveryCodes::UserId)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(RecoveryCodes::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(Authenticators::Table).to_owned())
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Accounts::Table)
                    .drop_column(AccountsAuthenticator::StaffRequireAuthenticator)
                    .to_owned(),
            )
            .await
    }
}

#[derive(DeriveIden)]
enum AccountsAuthenticator {
    StaffRequireAuthenticator,
}

#[derive(DeriveIden)]
enum Authenticators {
    Table,
    Id,
    UserId,
    AccountId,
    SecretSealed,
    CreatedAt,
    ConfirmedAt,
    LastUsedStep,
}

#[derive(DeriveIden)]
enum RecoveryCodes {
    Table,
    Id,
    UserId,
    AccountId,
    CodeTag,
    CodeHash,
    CreatedAt,
    UsedAt,
}
