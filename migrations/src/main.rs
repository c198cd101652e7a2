//! `cargo run -p migrations -- [up|down|fresh|status]` against `DATABASE_URL`.

use migrations::Migrator;
use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::Database;

#[tokio::main]
async fn main() -> Result<(), DbErr> {
    let url = std::env::var("DATABASE_URL")
        .unwrap_or_else(|_| "sqlite://data/outcomes.sqlite?mode=rwc".to_string());
    let db = Database::connect(&url).await?;
    let command = std::env::args().nth(1).unwrap_or_else(|| "status".to_string());
    match command.as_str() {
        "up" => Migrator::up(&db, None).await?,
        "down" => Migrator::down(&db, Some(1)).await?,
        "fresh" => Migrator::fresh(&db).await?,
        "status" => Migrator::status(&db).await?,
        other => {
            eprintln!("unknown command {other:?}: use up, down, fresh or status");
            std::process::exit(2);
        }
    }
    Ok(())
}
