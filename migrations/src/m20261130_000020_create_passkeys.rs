//! Passkeys (WebAuthn) and step-up (SPEC §2.1, §2.2): each person's passkeys, the ceremonies in
//! flight (kept server side, single use, so any instance can finish what another started), when a
//! session last passed a second step, forms kept while their sender steps up, and the owner's
//! "owners and admins must use a passkey".

use sea_orm_migration::{prelude::*, schema::*};

use crate::m20261122_000001_create_foundation::{Accounts, Sessions, Users};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum UsersPasskey {
    /// A random UUID, the user handle passkeys carry (never the database id).
    WebauthnId,
}

#[derive(DeriveIden)]
enum AccountsPasskey {
    AdminRequirePasskey,
}

#[derive(DeriveIden)]
enum SessionsStepUp {
    SecondFactorAt,
}

#[derive(DeriveIden)]
enum Passkeys {
    Table,
    Id,
    UserId,
    AccountId,
    CredId,
    Name,
    PasskeyJson,
    CreatedAt,
    LastUsedAt,
}

#[derive(DeriveIden)]
enum WebauthnCeremonies {
    Table,
    Id,
    Challenge,
    Kind,
    UserId,
    StateJson,
    ExpiresAt,
}

#[derive(DeriveIden)]
enum StepUpRequests {
    Table,
    Id,
    SessionId,
    Path,
    Body,
    ExpiresAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Users::Table)
                    .add_column(string_len_null(UsersPasskey::WebauthnId, 36))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_users_webauthn_id")
                    .table(Users::Table)
                    .col(UsersPasskey::WebauthnId)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Accounts::Table)
                    .add_column(boolean(AccountsPasskey::AdminRequirePasskey).default(false))
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Sessions::Table)
                    .add_column(big_integer_null(SessionsStepUp::SecondFactorAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Passkeys::Table)
                    .col(pk_auto(Passkeys::Id))
                    .col(integer(Passkeys::UserId))
                    .col(integer(Passkeys::AccountId))
                    .col(string_len_uniq(Passkeys::CredId, 1400))
                    .col(string_len(Passkeys::Name, 120))
                    .col(text(Passkeys::PasskeyJson))
                    .col(big_integer(Passkeys::CreatedAt))
                    .col(big_integer_null(Passkeys::LastUsedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(Passkeys::Table, Passkeys::UserId)
                            .to(Users::Table, Users::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_passkeys_user")
                    .table(Passkeys::Table)
                    .col(Passkeys::UserId)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(WebauthnCeremonies::Table)
                    .col(pk_auto(WebauthnCeremonies::Id))
                    .col(string_len_uniq(WebauthnCeremonies::Challenge, 128))
                    .col(string_len(WebauthnCeremonies::Kind, 16))
                    .col(integer_null(WebauthnCeremonies::UserId))
                    .col(text(WebauthnCeremonies::StateJson))
                    .col(big_integer(WebauthnCeremonies::ExpiresAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(StepUpRequests::Table)
                    .col(pk_auto(StepUpRequests::Id))
                    .col(integer(StepUpRequests::SessionId))
                    .col(string_len(StepUpRequests::Path, 300))
                    .col(text(StepUpRequests::Body))
                    .col(big_integer(StepUpRequests::ExpiresAt))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            StepUpRequests::Table.into_iden(),
            WebauthnCeremonies::Table.into_iden(),
            Passkeys::Table.into_iden(),
        ] {
            manager.drop_table(Table::drop().table(table).to_owned()).await?;
        }
        manager
            .alter_table(
                Table::alter()
                    .table(Sessions::Table)
                    .drop_column(SessionsStepUp::SecondFactorAt)
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Accounts::Table)
                    .drop_column(AccountsPasskey::AdminRequirePasskey)
                    .to_owned(),
            )
            .await?;
        manager
            .drop_index(
                Index::drop()
                    .name("idx_users_webauthn_id")
                    .table(Users::Table)
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Users::Table)
                    .drop_column(UsersPasskey::WebauthnId)
                    .to_owned(),
            )
            .await
    }
}
