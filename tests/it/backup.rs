//! `outcomes backup FILE` (SPEC §5) while the service serves and ratings are being written: the
//! copy opens, passes SQLite's integrity check, holds every rating acknowledged before the
//! backup began, and each rating in it is whole (its audit row and its episode's summary came
//! in the same transaction); the service kept answering; the copy restores with every rating.

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use reqwest::StatusCode;
use sea_orm::{ConnectionTrait, Database, DatabaseConnection, Statement};
use tokio::sync::Notify;

use crate::binary::{Served, sign_up_and_in};
use crate::cli::{run_async, stderr, stdout};
use crate::common::{Browser, STRONG_PASSWORD, create_client, create_staff};

/// At most this many ratings are written while the copy is taken (the loop is bounded).
const MOST_WRITES: usize = 400;

async fn rate(owner: &Browser, client: i32, token: &str, items: [f64; 4]) -> StatusCode {
    let items: Vec<String> = items.iter().map(f64::to_string).collect();
    owner
        .post(
            &format!("/clients/{client}/ratings"),
            &[
                ("csrf_token", token),
                ("measure", "ors"),
                ("session", ""),
                ("item1", &items[0]),
                ("item2", &items[1]),
                ("item3", &items[2]),
                ("item4", &items[3]),
                ("total", ""),
                ("source", "clinician"),
            ],
        )
        .await
        .status
}

async fn rows(db: &DatabaseConnection, sql: &str) -> Vec<sea_orm::QueryResult> {
    db.query_all_raw(Statement::from_string(db.get_database_backend(), sql))
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
}

async fn count(db: &DatabaseConnection, sql: &str) -> i64 {
    rows(db, sql).await[0]
        .try_get_by_index::<i64>(0)
        .expect("a count")
}

/// Each rating whole: its items add up to its total, an audit row for each, and each episode's
/// summary counts exactly its ratings (all written in one transaction). Returns the ratings.
async fn whole_ratings(db: &DatabaseConnection) -> i64 {
    for row in rows(
        db,
        "SELECT id, items, total FROM ratings WHERE source = 'clinician'",
    )
    .await
    {
        let id: i32 = row.try_get("", "id").expect("id");
        let items: String = row.try_get("", "items").expect("items");
        let total: f64 = row.try_get("", "total").expect("total");
        let items: Vec<f64> = serde_json::from_str(&items).expect("items as JSON");
        assert_eq!(items.len(), 4, "rating {id}: every item");
        assert!(
            (items.iter().sum::<f64>() - total).abs() < 0.051,
            "rating {id}: {items:?} = {total}"
        );
    }
    let ratings = count(db, "SELECT COUNT(*) FROM ratings").await;
    let audited = count(
        db,
        "SELECT COUNT(*) FROM audit_log WHERE action = 'rating.recorded'",
    )
    .await;
    assert_eq!(audited, ratings, "an audit row for each rating, no more");
    let summaries = rows(
        db,
        "SELECT e.id, e.outcome_count, (SELECT COUNT(*) FROM ratings r WHERE r.episode_id = e.id) AS n FROM episodes e",
    )
    .await;
    for row in summaries {
        let id: i32 = row.try_get("", "id").expect("id");
        let counted: i32 = row.try_get("", "outcome_count").expect("count");
        let n: i64 = row.try_get("", "n").expect("n");
        assert_eq!(
            i64::from(counted),
            n,
            "episode {id}: its summary counts its ratings"
        );
    }
    ratings
}

async fn open(path: &Path) -> DatabaseConnection {
    Database::connect(format!("sqlite://{}?mode=ro", path.display()))
        .await
        .expect("the file opens as SQLite")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_backup_taken_while_ratings_are_written_is_consistent_and_restores() {
    let dir = tempfile::tempdir().expect("temp dir");
    let served = Served::start(dir.path(), &[], &[]).await;
    let owner = served.browser();
    sign_up_and_in(&owner, "olivia").await;
    let pat = create_staff(&owner, "provider", "pat", "", None).await;
    let (quiet, _, _) = create_client(&owner, Some(pat), "").await;
    let (busy, _, _) = create_client(&owner, Some(pat), "").await;
    let token = owner.csrf_from(&format!("/clients/{quiet}")).await;
    for items in [[1.0, 2.5, 3.0, 4.0], [6.0, 5.5, 7.0, 8.0]] {
        assert_eq!(rate(&owner, quiet, &token, items).await, StatusCode::SEE_OTHER);
    }

    // A writer rates one client again and again until the copy is taken (bounded).
    let acknowledged = Arc::new(AtomicUsize::new(0));
    let stop = Arc::new(AtomicBool::new(false));
    let started = Arc::new(Notify::new());
    let writer = {
        let (owner, token) = (owner.clone(), token.clone());
        let (acknowledged, stop, started) = (acknowledged.clone(), stop.clone(), started.clone());
        tokio::spawn(async move {
            let mut refused = Vec::new();
            for n in 0..MOST_WRITES {
                if stop.load(Ordering::SeqCst) {
                    break;
                }
                let tenth = |k: usize| f64::from(u8::try_from((n / k) % 100).unwrap_or(0)) / 10.0;
                let status = rate(&owner, busy, &token, [tenth(1), tenth(3), tenth(7), 5.0]).await;
                if status == StatusCode::SEE_OTHER {
                    acknowledged.fetch_add(1, Ordering::SeqCst);
                } else {
                    refused.push(status);
                }
                if n == 4 {
                    started.notify_one();
                }
            }
            started.notify_one();
            refused
        })
    };
    started.notified().await;
    let before = acknowledged.load(Ordering::SeqCst);
    let file = dir.path().join("backup.sqlite");
    let backup = run_async(dir.path(), &["backup", "backup.sqlite"], &[]).await;
    let after = acknowledged.load(Ordering::SeqCst);
    stop.store(true, Ordering::SeqCst);
    let refused = writer.await.expect("the writer ran");
    assert!(backup.status.success(), "{}", stderr(&backup));
    assert!(stdout(&backup).contains("backed up to"));
    assert!(
        refused.is_empty(),
        "every write answered while the copy was taken: {refused:?}"
    );
    assert_eq!(
        owner.get("/healthz").await.status,
        StatusCode::OK,
        "still serving"
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&file).expect("backup").permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "the copy is private");
    }
    let again = run_async(dir.path(), &["backup", "backup.sqlite"], &[]).await;
    assert!(!again.status.success(), "an existing file is never overwritten");

    // The copy: sound, whole ratings, everything acknowledged before it began.
    let copy = open(&file).await;
    let check = rows(&copy, "PRAGMA integrity_check").await;
    let verdict: String = check[0].try_get_by_index(0).expect("a verdict");
    assert_eq!((check.len(), verdict.as_str()), (1, "ok"));
    let in_copy = whole_ratings(&copy).await;
    copy.close().await.ok();
    let at_least = 2 + i64::try_from(before).expect("small");
    let at_most = 2 + i64::try_from(after).expect("small") + 1;
    assert!(
        (at_least..=at_most).contains(&in_copy),
        "{in_copy} ratings in the copy: between {at_least} and {at_most}"
    );
    // The live database passes the same checks (the checks hold for a whole database).
    let live = open(&dir.path().join("data/outcomes.sqlite")).await;
    let total = whole_ratings(&live).await;
    live.close().await.ok();
    drop(served);

    // Restore: a new folder whose database is the copy, with the same secret key.
    let restored_dir = tempfile::tempdir().expect("temp dir");
    std::fs::create_dir_all(restored_dir.path().join("data")).expect("data");
    std::fs::copy(&file, restored_dir.path().join("data/outcomes.sqlite")).expect("restore");
    std::fs::copy(
        dir.path().join("data/secret_key"),
        restored_dir.path().join("data/secret_key"),
    )
    .expect("key");
    let restored = Served::start(restored_dir.path(), &[], &[]).await;
    let browser = restored.browser();
    let answer = browser.login("olivia", STRONG_PASSWORD).await;
    assert_eq!(answer.location(), Some("/"), "{}", answer.body);
    let export = browser.get("/export.csv").await;
    assert_eq!(export.status, StatusCode::OK);
    let lines = i64::try_from(export.body.lines().count()).expect("small");
    assert_eq!(
        lines,
        1 + in_copy,
        "a header and every rating of the copy ({total} live)"
    );
}
