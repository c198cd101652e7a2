//! What a large practice's client lists need to read few rows: a search index and each client's
//! last session on the client's own row.
//!
//! A search matches part of a name or user ID anywhere, so no ordinary index serves it: at
//! 100,000 clients a search with few matches read every client twice (count, then page).
//! - SQLite: `user_search`, an FTS5 table with the trigram tokenizer over each user's name and
//!   user ID, kept by triggers. A search of three or more characters first asks it for the
//!   users whose text holds the phrase, then checks the real columns as before.
//! - PostgreSQL: trigram GIN indexes (`pg_trgm`) on `lower(full_name)` and `lower(login)`, which
//!   the search's `lower(...) LIKE '%...%'` uses as it is. `pg_trgm` is a trusted extension
//!   (PostgreSQL 13+): a database owner may install it. Where it is missing or may not be
//!   installed, the indexes are skipped and searches read the table as before.
//!
//! `users.last_session_at`: the client's open episode's last session, kept by a trigger on
//! `episodes` (the episode stays the truth; the app never writes this column). With it one index
//! of the clients gives a practice in last-session order: a deep page walked 10,000 clients
//! and their episodes, sorting them all, and now walks the index alone.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::DbBackend;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// The open episode's last session, for the client `client` (an SQL expression). An episode
/// never moves to another client, so the triggers follow `client_id` as it is.
fn open_last_session(client: &str) -> String {
    format!(
        "(SELECT MAX(e.last_session_at) FROM episodes e \
          WHERE e.client_id = {client} AND e.closed_at IS NULL)"
    )
}

fn sqlite_up() -> Vec<String> {
    let follow = |name: &str, when: &str, client: &str| {
        format!(
            "CREATE TRIGGER {name} {when} ON episodes BEGIN \
               UPDATE users SET last_session_at = {} WHERE id = {client}; \
             END",
            open_last_session(client)
        )
    };
    vec![
        "CREATE VIRTUAL TABLE user_search USING fts5(text, tokenize = 'trigram')".into(),
        "INSERT INTO user_search (rowid, text) SELECT id, full_name || ' ' || login FROM users".into(),
        "CREATE TRIGGER user_search_insert AFTER INSERT ON users BEGIN \
           INSERT INTO user_search (rowid, text) VALUES (new.id, new.full_name || ' ' || new.login); \
         END"
        .into(),
        "CREATE TRIGGER user_search_update AFTER UPDATE OF full_name, login ON users BEGIN \
           DELETE FROM user_search WHERE rowid = old.id; \
           INSERT INTO user_search (rowid, text) VALUES (new.id, new.full_name || ' ' || new.login); \
         END"
        .into(),
        "CREATE TRIGGER user_search_delete AFTER DELETE ON users BEGIN \
           DELETE FROM user_search WHERE rowid = old.id; \
         END"
        .into(),
        "ALTER TABLE users ADD COLUMN last_session_at BIGINT".into(),
        format!(
            "UPDATE users SET last_session_at = {}",
            open_last_session("users.id")
        ),
        follow("episodes_follow_insert", "AFTER INSERT", "new.client_id"),
        follow(
            "episodes_follow_update",
            "AFTER UPDATE OF last_session_at, closed_at",
            "new.client_id",
        ),
        follow("episodes_follow_delete", "AFTER DELETE", "old.client_id"),
        // SQLite indexes take no NULLS LAST; DESC already puts NULL last. The practice alone
        // leads, role and active only cover: with them leading, SQLite (without statistics)
        // took this index for a provider's clients too, over (practice, provider), and read the
        // whole practice (4 ms to 535 ms a provider dashboard at 100,000 clients).
        "CREATE INDEX idx_users_last_session ON users \
         (account_id, last_session_at DESC, last_name, first_name, full_name, role, active)"
            .into(),
    ]
}

const SQLITE_DOWN: &[&str] = &[
    "DROP INDEX idx_users_last_session",
    "DROP TRIGGER episodes_follow_delete",
    "DROP TRIGGER episodes_follow_update",
    "DROP TRIGGER episodes_follow_insert",
    "ALTER TABLE users DROP COLUMN last_session_at",
    "DROP TRIGGER user_search_delete",
    "DROP TRIGGER user_search_update",
    "DROP TRIGGER user_search_insert",
    "DROP TABLE user_search",
];

// One block, so a refused CREATE EXTENSION is caught in its own subtransaction and the
// migration's transaction goes on without the indexes.
const POSTGRES_TRIGRAMS: &str = r"
DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm')
     AND EXISTS (SELECT 1 FROM pg_available_extensions WHERE name = 'pg_trgm') THEN
    BEGIN
      CREATE EXTENSION pg_trgm;
    EXCEPTION WHEN insufficient_privilege THEN
      RAISE NOTICE 'pg_trgm may not be installed here: searches read the whole table';
    END;
  END IF;
  IF EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm') THEN
    CREATE INDEX idx_users_name_trgm ON users USING gin (lower(full_name) gin_trgm_ops);
    CREATE INDEX idx_users_login_trgm ON users USING gin (lower(login) gin_trgm_ops);
  END IF;
END
$$";

fn postgres_up() -> Vec<String> {
    vec![
        POSTGRES_TRIGRAMS.into(),
        "ALTER TABLE users ADD COLUMN last_session_at BIGINT".into(),
        format!(
            "UPDATE users SET last_session_at = {}",
            open_last_session("users.id")
        ),
        format!(
            "CREATE FUNCTION episodes_follow() RETURNS trigger LANGUAGE plpgsql AS $$ \
             DECLARE client integer; \
             BEGIN \
               IF TG_OP = 'DELETE' THEN client := OLD.client_id; ELSE client := NEW.client_id; END IF; \
               UPDATE users SET last_session_at = {} WHERE id = client; \
               RETURN NULL; \
             END $$",
            open_last_session("client")
        ),
        "CREATE TRIGGER episodes_follow AFTER INSERT OR DELETE \
         OR UPDATE OF last_session_at, closed_at ON episodes \
         FOR EACH ROW EXECUTE FUNCTION episodes_follow()"
            .into(),
        "CREATE INDEX idx_users_last_session ON users (account_id, role, active, \
         last_session_at DESC NULLS LAST, last_name NULLS LAST, first_name NULLS LAST, full_name, id)"
            .into(),
    ]
}

const POSTGRES_DOWN: &[&str] = &[
    "DROP INDEX idx_users_last_session",
    "DROP TRIGGER episodes_follow ON episodes",
    "DROP FUNCTION episodes_follow()",
    "ALTER TABLE users DROP COLUMN last_session_at",
    "DROP INDEX IF EXISTS idx_users_login_trgm",
    "DROP INDEX IF EXISTS idx_users_name_trgm",
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        let statements = match db.get_database_backend() {
            DbBackend::Sqlite => sqlite_up(),
            _ => postgres_up(),
        };
        for statement in statements {
            db.execute_unprepared(&statement).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        let statements = match db.get_database_backend() {
            DbBackend::Sqlite => SQLITE_DOWN,
            _ => POSTGRES_DOWN,
        };
        for statement in statements {
            db.execute_unprepared(statement).await?;
        }
        Ok(())
    }
}
