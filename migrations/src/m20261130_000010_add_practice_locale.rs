//! A practice's own time zone (IANA name; every time is stored UTC and shown in it) and phone
//! country (national numbers are read and shown in its format). A practice without a stored
//! country keeps using the server's `phone_region`, as before this migration.

use sea_orm_migration::{prelude::*, schema::*};

use crate::m20261122_000001_create_foundation::Accounts;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum AccountsLocale {
    TimeZone,
    PhoneRegion,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // One column per statement: SQLite's ALTER TABLE adds one at a time.
        manager
            .alter_table(
                Table::alter()
                    .table(Accounts::Table)
                    .add_column(string_len(AccountsLocale::TimeZone, 64).default("UTC"))
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Accounts::Table)
                    .add_column(string_len_null(AccountsLocale::PhoneRegion, 2))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Accounts::Table)
                    .drop_column(AccountsLocale::PhoneRegion)
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Accounts::Table)
                    .drop_column(AccountsLocale::TimeZone)
                    .to_owned(),
            )
            .await
    }
}
