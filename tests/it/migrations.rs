//! Migrations run up, down and up again on both databases.

use migrations::{Migrator, MigratorTrait};
use sea_orm::Database;

use crate::common::{Backend, TestDatabase};

async fn up_down_up(backend: Backend) {
    let dir = tempfile::tempdir().expect("temp dir");
    let Some(database) = TestDatabase::create(backend, dir.path()).await else {
        return;
    };
    let db = Database::connect(&database.url).await.expect("connect");
    Migrator::up(&db, None).await.expect("first up");
    let applied = Migrator::get_applied_migrations(&db)
        .await
        .expect("applied")
        .len();
    assert_eq!(applied, Migrator::migrations().len());
    Migrator::down(&db, None).await.expect("down to nothing");
    assert!(
        Migrator::get_applied_migrations(&db)
            .await
            .expect("applied")
            .is_empty()
    );
    Migrator::up(&db, None).await.expect("second up");
    assert!(
        Migrator::get_pending_migrations(&db)
            .await
            .expect("pending")
            .is_empty()
    );
    db.close().await.ok();
}

#[tokio::test]
async fn migrations_go_up_down_and_up_on_sqlite() {
    up_down_up(Backend::Sqlite).await;
}

#[tokio::test]
async fn migrations_go_up_down_and_up_on_postgres() {
    up_down_up(Backend::Postgres).await;
}
