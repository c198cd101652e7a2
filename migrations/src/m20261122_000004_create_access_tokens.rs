//! Bearer tokens for the mobile app's JSON API (stored hashed, like web sessions).

use sea_orm_migration::{prelude::*, schema::*};

use crate::m20261122_000001_create_foundation::Users;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(AccessTokens::Table)
                    .col(pk_auto(AccessTokens::Id))
                    .col(string_len_uniq(AccessTokens::TokenHash, 64))
                    .col(integer(AccessTokens::UserId))
                    .col(integer(AccessTokens::AccountId))
                    .col(big_integer(AccessTokens::CreatedAt))
                    .col(big_integer(AccessTokens::LastSeenAt))
                    .col(big_integer(AccessTokens::ExpiresAt))
                    .col(string_len(AccessTokens::Factors, 32))
                    .foreign_key(
                        ForeignKey::create()
                            .from(AccessTokens::Table, AccessTokens::UserId)
                            .to(Users::Table, Users::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_access_tokens_user")
                    .table(AccessTokens::Table)
                    .col(AccessTokens::UserId)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(AccessTokens::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum AccessTokens {
    Table,
    Id,
    TokenHash,
    UserId,
    AccountId,
    CreatedAt,
    LastSeenAt,
    ExpiresAt,
    Factors,
}
