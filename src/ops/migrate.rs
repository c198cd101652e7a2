//! `outcomes migrate up|down|status`: the schema by hand (the server applies pending migrations
//! at start anyway; `down` is for rolling a release back).

use migrations::{Migrator, MigratorTrait};
use sea_orm_migration::MigrationStatus;

use crate::config::Settings;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    Up,
    /// Reverts this many of the newest applied migrations.
    Down(u32),
    Status,
}

/// Runs one migrate command; the answer is what to print.
pub async fn run(settings: &Settings, direction: Direction) -> Result<String, String> {
    let db = crate::connect(settings).await?;
    let failed = |e: sea_orm::DbErr| format!("migrations failed: {e}");
    let out = match direction {
        Direction::Up => {
            let pending = Migrator::get_pending_migrations(&db).await.map_err(failed)?.len();
            Migrator::up(&db, None).await.map_err(failed)?;
            format!("applied {pending} migration(s); the schema is up to date")
        }
        Direction::Down(steps) => {
            let applied = Migrator::get_applied_migrations(&db).await.map_err(failed)?.len();
            Migrator::down(&db, Some(steps)).await.map_err(failed)?;
            format!("reverted {} migration(s)", applied.min(steps as usize))
        }
        Direction::Status => {
            let all = Migrator::get_migration_with_status(&db).await.map_err(failed)?;
            let mut lines: Vec<String> = all
                .iter()
                .map(|m| {
                    let state = match m.status() {
                        MigrationStatus::Applied => "applied",
                        MigrationStatus::Pending => "pending",
                    };
                    format!("{state:8} {}", m.name())
                })
                .collect();
            let pending = all
                .iter()
                .filter(|m| m.status() == MigrationStatus::Pending)
                .count();
            lines.push(format!("{} applied, {pending} pending", all.len() - pending));
            lines.join("\n")
        }
    };
    db.close().await.ok();
    Ok(out)
}
