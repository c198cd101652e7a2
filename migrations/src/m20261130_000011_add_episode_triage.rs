//! Triage on the open episode, so dashboards page worst-first in SQL: `attention` (0 open
//! safety alert, 1 red outcome, 2 red alliance, 3 amber, 4 green, 5 no flag yet), since when the
//! client has needed attention, and the date of the last session. Existing rows are filled in.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Episodes {
    Table,
    AccountId,
    ClientId,
    ClosedAt,
    Attention,
    OffTrackSince,
    LastSessionAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let columns = [
            integer(Episodes::Attention).default(5).to_owned(),
            big_integer_null(Episodes::OffTrackSince).clone(),
            big_integer_null(Episodes::LastSessionAt).clone(),
        ];
        for column in columns {
            manager
                .alter_table(
                    Table::alter()
                        .table(Episodes::Table)
                        .add_column(column)
                        .to_owned(),
                )
                .await?;
        }
        // The same ranks as `domain::triage::Attention`, from the stored flags and alerts; the
        // last rating stands in for both times (the best that the old rows know).
        let db = manager.get_connection();
        db.execute_unprepared(
            "UPDATE episodes SET attention = CASE \
               WHEN EXISTS (SELECT 1 FROM safety_alerts a WHERE a.client_id = episodes.client_id \
                            AND a.acknowledged_at IS NULL) THEN 0 \
               WHEN outcome_flag = 'red' THEN 1 \
               WHEN alliance_flag = 'red' THEN 2 \
               WHEN outcome_flag = 'amber' OR alliance_flag = 'amber' THEN 3 \
               WHEN outcome_flag = 'green' OR alliance_flag = 'green' THEN 4 \
               ELSE 5 END, \
             last_session_at = last_rated_at",
        )
        .await?;
        db.execute_unprepared(
            "UPDATE episodes SET off_track_since = COALESCE(last_rated_at, opened_at) WHERE attention <= 3",
        )
        .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_episodes_triage")
                    .table(Episodes::Table)
                    .col(Episodes::AccountId)
                    .col(Episodes::ClosedAt)
                    .col(Episodes::Attention)
                    .col(Episodes::OffTrackSince)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_episodes_client_open")
                    .table(Episodes::Table)
                    .col(Episodes::ClientId)
                    .col(Episodes::ClosedAt)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for name in ["idx_episodes_client_open", "idx_episodes_triage"] {
            manager
                .drop_index(Index::drop().name(name).table(Episodes::Table).to_owned())
                .await?;
        }
        for column in [
            Episodes::LastSessionAt,
            Episodes::OffTrackSince,
            Episodes::Attention,
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table(Episodes::Table)
                        .drop_column(column)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}
