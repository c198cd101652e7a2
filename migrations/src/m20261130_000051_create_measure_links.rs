//! Measures links (SPEC §3.1): `/m/<token>` opens a client's due measures without a password.
//! The token is stored hashed; the phone and e-mail it went to are kept so that a change of
//! either revokes it.

use sea_orm_migration::{prelude::*, schema::*};

use crate::m20261122_000001_create_foundation::{Accounts, Users};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum MeasureLinks {
    Table,
    Id,
    AccountId,
    ClientId,
    TokenHash,
    Channel,
    Measures,
    SentToPhone,
    SentToEmail,
    CreatedBy,
    CreatedAt,
    ExpiresAt,
    SpentAt,
    RevokedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(MeasureLinks::Table)
                    .col(pk_auto(MeasureLinks::Id))
                    .col(integer(MeasureLinks::AccountId))
                    .col(integer(MeasureLinks::ClientId))
                    .col(string_len_uniq(MeasureLinks::TokenHash, 64))
                    .col(string_len(MeasureLinks::Channel, 8))
                    .col(string_len(MeasureLinks::Measures, 100))
                    .col(string_len_null(MeasureLinks::SentToPhone, 20))
                    .col(string_len_null(MeasureLinks::SentToEmail, 320))
                    .col(integer_null(MeasureLinks::CreatedBy))
                    .col(big_integer(MeasureLinks::CreatedAt))
                    .col(big_integer(MeasureLinks::ExpiresAt))
                    .col(big_integer_null(MeasureLinks::SpentAt))
                    .col(big_integer_null(MeasureLinks::RevokedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(MeasureLinks::Table, MeasureLinks::AccountId)
                            .to(Accounts::Table, Accounts::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(MeasureLinks::Table, MeasureLinks::ClientId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_measure_links_client")
                    .table(MeasureLinks::Table)
                    .col(MeasureLinks::ClientId)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(MeasureLinks::Table).to_owned())
            .await
    }
}
