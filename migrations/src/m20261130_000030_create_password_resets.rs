//! Forgotten passwords (SPEC §2.4): every request for a reset link (counted per user ID and per
//! IP, whether or not the user exists), and for known users the link's token, stored hashed,
//! valid 60 minutes, single use.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum PasswordResets {
    Table,
    Id,
    /// The user ID as typed (normalized), so requests for unknown ones count too.
    Login,
    UserId,
    Ip,
    /// SHA-256 of the link's token; `NULL` when no link was sent.
    TokenHash,
    CreatedAt,
    ExpiresAt,
    UsedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(PasswordResets::Table)
                    .col(pk_auto(PasswordResets::Id))
                    .col(string_len(PasswordResets::Login, 200))
                    .col(integer_null(PasswordResets::UserId))
                    .col(string_len(PasswordResets::Ip, 64))
                    .col(string_len_null(PasswordResets::TokenHash, 64).unique_key())
                    .col(big_integer(PasswordResets::CreatedAt))
                    .col(big_integer(PasswordResets::ExpiresAt))
                    .col(big_integer_null(PasswordResets::UsedAt))
                    .to_owned(),
            )
            .await?;
        for (name, column) in [
            ("idx_password_resets_login", PasswordResets::Login),
            ("idx_password_resets_ip", PasswordResets::Ip),
            ("idx_password_resets_user", PasswordResets::UserId),
        ] {
            manager
                .create_index(
                    Index::create()
                        .name(name)
                        .table(PasswordResets::Table)
                        .col(column)
                        .col(PasswordResets::CreatedAt)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(PasswordResets::Table).to_owned())
            .await
    }
}
