//! Indexes for the paged lists: clients by name within a practice, and the audit log filtered
//! by person or by event.

use sea_orm_migration::prelude::*;

use crate::m20261122_000001_create_foundation::Users;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum AuditLog {
    Table,
    AccountId,
    ActorId,
    Action,
    At,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_index(
                Index::create()
                    .name("idx_users_account_role_name")
                    .table(Users::Table)
                    .col(Users::AccountId)
                    .col(Users::Role)
                    .col(Users::LastName)
                    .col(Users::FirstName)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_audit_account_actor_at")
                    .table(AuditLog::Table)
                    .col(AuditLog::AccountId)
                    .col(AuditLog::ActorId)
                    .col(AuditLog::At)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_audit_account_action_at")
                    .table(AuditLog::Table)
                    .col(AuditLog::AccountId)
                    .col(AuditLog::Action)
                    .col(AuditLog::At)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(
                Index::drop()
                    .name("idx_audit_account_action_at")
                    .table(AuditLog::Table)
                    .to_owned(),
            )
            .await?;
        manager
            .drop_index(
                Index::drop()
                    .name("idx_audit_account_actor_at")
                    .table(AuditLog::Table)
                    .to_owned(),
            )
            .await?;
        manager
            .drop_index(
                Index::drop()
                    .name("idx_users_account_role_name")
                    .table(Users::Table)
                    .to_owned(),
            )
            .await
    }
}
