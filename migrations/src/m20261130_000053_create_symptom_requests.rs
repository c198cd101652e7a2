//! Which symptom questionnaires (PHQ-9, GAD-7) a provider asks a client for (OUTCOMES.md: they
//! "can be given at any session"): one row per client and measure; no row means not asked.
//! `every` is the period in sessions, or NULL for "at the next session only".

use sea_orm_migration::{prelude::*, schema::*};

use crate::m20261122_000001_create_foundation::{Accounts, Users};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum SymptomRequests {
    Table,
    ClientId,
    Measure,
    AccountId,
    Every,
    AskedAt,
    AskedBy,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(SymptomRequests::Table)
                    .col(integer(SymptomRequests::ClientId))
                    .col(string_len(SymptomRequests::Measure, 8))
                    .col(integer(SymptomRequests::AccountId))
                    .col(integer_null(SymptomRequests::Every))
                    .col(big_integer(SymptomRequests::AskedAt))
                    .col(integer(SymptomRequests::AskedBy))
                    .primary_key(
                        Index::create()
                            .col(SymptomRequests::ClientId)
                            .col(SymptomRequests::Measure),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(SymptomRequests::Table, SymptomRequests::ClientId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(SymptomRequests::Table, SymptomRequests::AccountId)
                            .to(Accounts::Table, Accounts::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(SymptomRequests::Table).to_owned())
            .await
    }
}
