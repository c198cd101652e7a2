//! Indexes for reading the audit log by keyset, newest first (issue 17): each of the log's ways
//! in (the whole account, one event, one person as actor or as subject) ends in (at, id), so a
//! page or a CSV batch after a cursor is one index range however deep into millions of events.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden, Clone, Copy)]
enum AuditLog {
    Table,
    Id,
    AccountId,
    ActorId,
    Action,
    Subject,
    At,
}

/// (name, the columns before `at, id`).
const INDEXES: [(&str, &[AuditLog]); 4] = [
    ("idx_audit_account_at_id", &[AuditLog::AccountId]),
    (
        "idx_audit_account_action_at_id",
        &[AuditLog::AccountId, AuditLog::Action],
    ),
    (
        "idx_audit_account_actor_at_id",
        &[AuditLog::AccountId, AuditLog::ActorId],
    ),
    (
        "idx_audit_account_subject_at_id",
        &[AuditLog::AccountId, AuditLog::Subject],
    ),
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for (name, leading) in INDEXES {
            let mut index = Index::create();
            index.name(name).table(AuditLog::Table);
            for column in leading {
                index.col(*column);
            }
            manager
                .create_index(index.col(AuditLog::At).col(AuditLog::Id).to_owned())
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for (name, _) in INDEXES.iter().rev() {
            manager
                .drop_index(Index::drop().name(*name).table(AuditLog::Table).to_owned())
                .await?;
        }
        Ok(())
    }
}
