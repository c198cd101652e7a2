//! Outcomes: episodes of care, ratings, safety alerts and each account's clinical settings.

use sea_orm_migration::{prelude::*, schema::*};

use crate::m20261122_000001_create_foundation::{Accounts, Users};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Users::Table)
                    .add_column(boolean(UsersOutcomes::ClientSeesGraph).default(false))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(OutcomeSettings::Table)
                    .col(integer(OutcomeSettings::AccountId).primary_key())
                    .col(string(OutcomeSettings::Measures))
                    .col(double(OutcomeSettings::ReliableChange))
                    .col(double(OutcomeSettings::AllianceCutoff))
                    .col(double(OutcomeSettings::AllianceDrop))
                    .foreign_key(
                        ForeignKey::create()
                            .from(OutcomeSettings::Table, OutcomeSettings::AccountId)
                            .to(Accounts::Table, Accounts::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Episodes::Table)
                    .col(pk_auto(Episodes::Id))
                    .col(integer(Episodes::AccountId))
                    .col(integer(Episodes::ClientId))
                    .col(integer(Episodes::Number))
                    .col(big_integer(Episodes::OpenedAt))
                    .col(big_integer_null(Episodes::ClosedAt))
                    // A summary kept current on every rating, so dashboards never rescan ratings.
                    .col(integer(Episodes::OutcomeCount).default(0))
                    .col(integer(Episodes::LatestSession).default(0))
                    .col(double_null(Episodes::Intake))
                    .col(double_null(Episodes::LatestOutcome))
                    .col(double_null(Episodes::Target))
                    .col(double_null(Episodes::LatestAlliance))
                    .col(string_len(Episodes::OutcomeFlag, 8).default("grey"))
                    .col(string_len(Episodes::AllianceFlag, 8).default("grey"))
                    .col(boolean(Episodes::Included).default(false))
                    .col(boolean(Episodes::ReliableImprovement).default(false))
                    .col(boolean(Episodes::ReliableDeterioration).default(false))
                    .col(boolean(Episodes::ClinicallySignificant).default(false))
                    .col(double_null(Episodes::EffectSize))
                    .col(big_integer_null(Episodes::LastRatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(Episodes::Table, Episodes::ClientId)
                            .to(Users::Table, Users::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_episodes_client_number")
                    .table(Episodes::Table)
                    .col(Episodes::ClientId)
                    .col(Episodes::Number)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_episodes_account_open")
                    .table(Episodes::Table)
                    .col(Episodes::AccountId)
                    .col(Episodes::ClosedAt)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Ratings::Table)
                    .col(pk_auto(Ratings::Id))
                    .col(integer(Ratings::AccountId))
                    .col(integer(Ratings::ClientId))
                    .col(integer(Ratings::EpisodeId))
                    .col(integer(Ratings::Session))
                    .col(string_len(Ratings::Measure, 16))
                    .col(string(Ratings::Items))
                    .col(double(Ratings::Total))
                    .col(string_len(Ratings::Source, 16))
                    .col(integer(Ratings::EnteredBy))
                    .col(big_integer(Ratings::At))
                    .foreign_key(
                        ForeignKey::create()
                            .from(Ratings::Table, Ratings::EpisodeId)
                            .to(Episodes::Table, Episodes::Id),
                    )
                    .to_owned(),
            )
            .await?;
        // One rating per measure per session: a second submission is refused, never doubled.
        manager
            .create_index(
                Index::create()
                    .name("idx_ratings_episode_session_measure")
                    .table(Ratings::Table)
                    .col(Ratings::EpisodeId)
                    .col(Ratings::Session)
                    .col(Ratings::Measure)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_ratings_account_client")
                    .table(Ratings::Table)
                    .col(Ratings::AccountId)
                    .col(Ratings::ClientId)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(SafetyAlerts::Table)
                    .col(pk_auto(SafetyAlerts::Id))
                    .col(integer(SafetyAlerts::AccountId))
                    .col(integer(SafetyAlerts::ClientId))
                    .col(integer(SafetyAlerts::RatingId))
                    .col(big_integer(SafetyAlerts::CreatedAt))
                    .col(big_integer_null(SafetyAlerts::AcknowledgedAt))
                    .col(integer_null(SafetyAlerts::AcknowledgedBy))
                    .foreign_key(
                        ForeignKey::create()
                            .from(SafetyAlerts::Table, SafetyAlerts::RatingId)
                            .to(Ratings::Table, Ratings::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_safety_alerts_client")
                    .table(SafetyAlerts::Table)
                    .col(SafetyAlerts::ClientId)
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(SafetyAlerts::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(Ratings::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(Episodes::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(OutcomeSettings::Table).to_owned())
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Users::Table)
                    .drop_column(UsersOutcomes::ClientSeesGraph)
                    .to_owned(),
            )
            .await?;
        Ok(())
    }
}

#[derive(DeriveIden)]
enum UsersOutcomes {
    ClientSeesGraph,
}

#[derive(DeriveIden)]
enum OutcomeSettings {
    Table,
    AccountId,
    Measures,
    ReliableChange,
    AllianceCutoff,
    AllianceDrop,
}

#[derive(DeriveIden)]
enum Episodes {
    Table,
    Id,
    AccountId,
    ClientId,
    Number,
    OpenedAt,
    ClosedAt,
    OutcomeCount,
    LatestSession,
    Intake,
    LatestOutcome,
    Target,
    LatestAlliance,
    OutcomeFlag,
    AllianceFlag,
    Included,
    ReliableImprovement,
    ReliableDeterioration,
    ClinicallySignificant,
    EffectSize,
    LastRatedAt,
}

#[derive(DeriveIden)]
enum Ratings {
    Table,
    Id,
    AccountId,
    ClientId,
    EpisodeId,
    Session,
    Measure,
    Items,
    Total,
    Source,
    EnteredBy,
    At,
}

#[derive(DeriveIden)]
enum SafetyAlerts {
    Table,
    Id,
    AccountId,
    ClientId,
    RatingId,
    CreatedAt,
    AcknowledgedAt,
    AcknowledgedBy,
}
