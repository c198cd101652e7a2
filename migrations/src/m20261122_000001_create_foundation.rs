//! Accounts, people (staff and clients), sessions, login throttling and the audit log.
//! Times are Unix seconds (BIGINT) so comparisons are exact on both databases.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Accounts::Table)
                    .col(pk_auto(Accounts::Id))
                    .col(string(Accounts::Name))
                    .col(string_len(Accounts::Plan, 16))
                    .col(boolean(Accounts::StaffTwoFactor).default(false))
                    .col(boolean(Accounts::ClientTwoFactor).default(false))
                    .col(integer(Accounts::DeviceDays).default(365))
                    .col(integer(Accounts::IdleMinutes).default(15))
                    .col(integer(Accounts::SmsDailyBudget).default(500))
                    .col(boolean(Accounts::Active).default(true))
                    .col(big_integer(Accounts::CreatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Users::Table)
                    .col(pk_auto(Users::Id))
                    .col(integer(Users::AccountId))
                    .col(string_len(Users::Role, 16))
                    .col(string_len_uniq(Users::Login, 64))
                    .col(string(Users::FullName))
                    .col(string_null(Users::FirstName))
                    .col(string_null(Users::LastName))
                    .col(string_null(Users::Email))
                    .col(string_len_null(Users::Phone, 20))
                    .col(string(Users::PasswordHash))
                    .col(integer_null(Users::SupervisorId))
                    .col(integer_null(Users::ProviderId))
                    .col(string_len_null(Users::AgeGroup, 16))
                    .col(boolean(Users::Active).default(true))
                    .col(big_integer(Users::CreatedAt))
                    .col(big_integer(Users::UpdatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(Users::Table, Users::AccountId)
                            .to(Accounts::Table, Accounts::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_users_account_role")
                    .table(Users::Table)
                    .col(Users::AccountId)
                    .col(Users::Role)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_users_provider")
                    .table(Users::Table)
                    .col(Users::ProviderId)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Sessions::Table)
                    .col(pk_auto(Sessions::Id))
                    .col(string_len_uniq(Sessions::TokenHash, 64))
                    .col(integer(Sessions::UserId))
                    .col(integer(Sessions::AccountId))
                    .col(string_len(Sessions::State, 16))
                    .col(string_len(Sessions::CsrfToken, 64))
                    .col(big_integer(Sessions::CreatedAt))
                    .col(big_integer(Sessions::LastSeenAt))
                    .col(big_integer(Sessions::ExpiresAt))
                    .col(string_len(Sessions::Factors, 32))
                    .col(integer_null(Sessions::ChallengeId))
                    .col(string_len_null(Sessions::Ip, 64))
                    .col(string_null(Sessions::UserAgent))
                    .foreign_key(
                        ForeignKey::create()
                            .from(Sessions::Table, Sessions::UserId)
                            .to(Users::Table, Users::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_sessions_user")
                    .table(Sessions::Table)
                    .col(Sessions::UserId)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(LoginFailures::Table)
                    .col(pk_auto(LoginFailures::Id))
                    .col(string_len(LoginFailures::Login, 200))
                    .col(string_len(LoginFailures::Ip, 64))
                    .col(big_integer(LoginFailures::At))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_login_failures_login")
                    .table(LoginFailures::Table)
                    .col(LoginFailures::Login)
                    .col(LoginFailures::At)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_login_failures_ip")
                    .table(LoginFailures::Table)
                    .col(LoginFailures::Ip)
                    .col(LoginFailures::At)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(AuditLog::Table)
                    .col(pk_auto(AuditLog::Id))
                    .col(big_integer(AuditLog::At))
                    .col(integer_null(AuditLog::AccountId))
                    .col(integer_null(AuditLog::ActorId))
                    .col(string_len(AuditLog::Action, 64))
                    .col(string_null(AuditLog::Subject))
                    .col(string_len_null(AuditLog::Ip, 64))
                    .col(string_len(AuditLog::Outcome, 16))
                    .col(text_null(AuditLog::Details))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_audit_account_at")
                    .table(AuditLog::Table)
                    .col(AuditLog::AccountId)
                    .col(AuditLog::At)
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(AuditLog::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(LoginFailures::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(Sessions::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(Users::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(Accounts::Table).to_owned())
            .await?;
        Ok(())
    }
}

#[derive(DeriveIden)]
pub enum Accounts {
    Table,
    Id,
    Name,
    Plan,
    StaffTwoFactor,
    ClientTwoFactor,
    DeviceDays,
    IdleMinutes,
    SmsDailyBudget,
    Active,
    CreatedAt,
}

#[derive(DeriveIden)]
pub enum Users {
    Table,
    Id,
    AccountId,
    Role,
    Login,
    FullName,
    FirstName,
    LastName,
    Email,
    Phone,
    PasswordHash,
    SupervisorId,
    ProviderId,
    AgeGroup,
    Active,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
pub enum Sessions {
    Table,
    Id,
    TokenHash,
    UserId,
    AccountId,
    State,
    CsrfToken,
    CreatedAt,
    LastSeenAt,
    ExpiresAt,
    Factors,
    ChallengeId,
    Ip,
    UserAgent,
}

#[derive(DeriveIden)]
enum LoginFailures {
    Table,
    Id,
    Login,
    Ip,
    At,
}

#[derive(DeriveIden)]
enum AuditLog {
    Table,
    Id,
    At,
    AccountId,
    ActorId,
    Action,
    Subject,
    Ip,
    Outcome,
    Details,
}
