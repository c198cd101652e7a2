//! Single sign-on (SPEC §2.3): each practice's OpenID provider settings, the links between staff
//! and their identity there (`iss`, `sub`), and the sign-ins in flight (state, nonce and PKCE
//! verifier kept server side, single use).

use sea_orm_migration::{prelude::*, schema::*};

use crate::m20261122_000001_create_foundation::{Accounts, Users};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum SsoSettings {
    Table,
    Id,
    AccountId,
    /// The short name in `/sso/<practice>`, unique across the service.
    Practice,
    Issuer,
    ClientId,
    /// The client secret sealed under the server's key; never shown again.
    ClientSecretSealed,
    /// `off`, `optional` or `required`.
    Mode,
    SecondStep,
    LinkByEmail,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum SsoIdentities {
    Table,
    Id,
    UserId,
    AccountId,
    Issuer,
    Subject,
    CreatedAt,
    LastUsedAt,
}

#[derive(DeriveIden)]
enum SsoFlows {
    Table,
    Id,
    /// SHA-256 of the `state` parameter (the browser holds the value in a private cookie).
    StateHash,
    AccountId,
    /// `sign_in` or `link`.
    Purpose,
    /// The signed-in person linking their identity (`link` only).
    UserId,
    Nonce,
    PkceVerifier,
    /// The issuer the flow began with: a changed setting voids flows in flight.
    Issuer,
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
                    .table(SsoSettings::Table)
                    .col(pk_auto(SsoSettings::Id))
                    .col(integer_uniq(SsoSettings::AccountId))
                    .col(string_len_uniq(SsoSettings::Practice, 40))
                    .col(string_len(SsoSettings::Issuer, 300))
                    .col(string_len(SsoSettings::ClientId, 300))
                    .col(text_null(SsoSettings::ClientSecretSealed))
                    .col(string_len(SsoSettings::Mode, 16).default("off"))
                    .col(boolean(SsoSettings::SecondStep).default(false))
                    .col(boolean(SsoSettings::LinkByEmail).default(false))
                    .col(big_integer(SsoSettings::UpdatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(SsoSettings::Table, SsoSettings::AccountId)
                            .to(Accounts::Table, Accounts::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(SsoIdentities::Table)
                    .col(pk_auto(SsoIdentities::Id))
                    .col(integer_uniq(SsoIdentities::UserId))
                    .col(integer(SsoIdentities::AccountId))
                    .col(string_len(SsoIdentities::Issuer, 300))
                    .col(string_len(SsoIdentities::Subject, 255))
                    .col(big_integer(SsoIdentities::CreatedAt))
                    .col(big_integer_null(SsoIdentities::LastUsedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(SsoIdentities::Table, SsoIdentities::UserId)
                            .to(Users::Table, Users::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_sso_identities_subject")
                    .table(SsoIdentities::Table)
                    .col(SsoIdentities::AccountId)
                    .col(SsoIdentities::Issuer)
                    .col(SsoIdentities::Subject)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(SsoFlows::Table)
                    .col(pk_auto(SsoFlows::Id))
                    .col(string_len_uniq(SsoFlows::StateHash, 64))
                    .col(integer(SsoFlows::AccountId))
                    .col(string_len(SsoFlows::Purpose, 16))
                    .col(integer_null(SsoFlows::UserId))
                    .col(string_len(SsoFlows::Nonce, 128))
                    .col(string_len(SsoFlows::PkceVerifier, 128))
                    .col(string_len(SsoFlows::Issuer, 300))
                    .col(big_integer(SsoFlows::CreatedAt))
                    .col(big_integer(SsoFlows::ExpiresAt))
                    .col(big_integer_null(SsoFlows::UsedAt))
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            SsoFlows::Table.into_iden(),
            SsoIdentities::Table.into_iden(),
            SsoSettings::Table.into_iden(),
        ] {
            manager.drop_table(Table::drop().table(table).to_owned()).await?;
        }
        Ok(())
    }
}
