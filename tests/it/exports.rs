//! The two CSV exports: every row in order however many batches they are read in, sent as a
//! download, with times to the second (issues 17 and 18).

use reqwest::StatusCode;
use sea_orm::{ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter};

use crate::common::TestApp;
use crate::outcomes_common::{create_client_aged, practice, total};

/// Copies a client's one stored rating into `count` sessions (straight into the database: a
/// few thousand ratings through the form would take minutes).
async fn ratings_for(app: &TestApp, client: i32, count: i32) {
    let db = app.db().await;
    let first = entities::rating::Entity::find()
        .filter(entities::rating::Column::ClientId.eq(client))
        .one(&db)
        .await
        .expect("read rating")
        .expect("the client has a rating");
    let rows: Vec<entities::rating::ActiveModel> = (2..=count)
        .map(|session| entities::rating::ActiveModel {
            account_id: Set(first.account_id),
            client_id: Set(client),
            episode_id: Set(first.episode_id),
            session: Set(session),
            measure: Set(first.measure.clone()),
            items: Set(first.items.clone()),
            total: Set(first.total),
            source: Set(first.source),
            entered_by: Set(first.entered_by),
            at: Set(first.at + i64::from(session)),
            ..Default::default()
        })
        .collect();
    for chunk in rows.chunks(500) {
        entities::rating::Entity::insert_many(chunk.to_vec())
            .exec(&db)
            .await
            .expect("insert ratings");
    }
}

async fn the_ratings_export_streams_every_rating_in_order_across_batches(app: TestApp) {
    let p = practice(&app).await;
    // One client longer than a whole batch (2,000), two around it: every batch boundary case.
    let mut clients = Vec::new();
    for (count, age) in [(1_500, "adult"), (2_300, "adult"), (700, "adult")] {
        let (client, _, _) = create_client_aged(&p.pat, p.pat_id, age).await;
        total(&p.pat, client, "ors", "1", "20").await;
        ratings_for(&app, client, count).await;
        clients.push((client, count));
    }
    let csv = p.owner.get("/export.csv").await;
    assert_eq!(csv.status, StatusCode::OK);
    assert!(
        csv.header("content-type")
            .unwrap_or_default()
            .starts_with("text/csv")
    );
    assert_eq!(
        csv.header("content-disposition").as_deref(),
        Some("attachment; filename=\"outcomes-ratings.csv\"")
    );
    let lines: Vec<&str> = csv.body.lines().collect();
    assert!(
        lines[0].starts_with("client_id,client_user_id,"),
        "header first: {}",
        lines[0]
    );
    let rows: Vec<(i32, i32)> = lines[1..]
        .iter()
        .map(|line| {
            let cells: Vec<&str> = line.split(',').collect();
            (
                cells[0].parse().expect("client id"),
                cells[4].parse().expect("session"),
            )
        })
        .collect();
    assert_eq!(rows.len(), 1_500 + 2_300 + 700, "every rating once");
    let mut expected = Vec::new();
    for (client, count) in &clients {
        expected.extend((1..=*count).map(|session| (*client, session)));
    }
    expected.sort_unstable();
    assert_eq!(rows, expected, "by client, then session, none twice");
    let audit = p.owner.get("/audit?event=ratings.exported").await;
    assert!(
        audit.body.contains("4500 ratings"),
        "the export is audited with its size"
    );
}

async fn the_audit_csv_streams_newest_first_with_times_to_the_second(app: TestApp) {
    let p = practice(&app).await;
    let db = app.db().await;
    let owner = entities::user::Entity::find()
        .filter(entities::user::Column::Login.eq("olivia"))
        .one(&db)
        .await
        .expect("read owner")
        .expect("owner");
    // 4,100 events in one second and later ones: keyset paging must not skip or repeat any.
    let now = app.clock.now();
    let rows: Vec<entities::audit_log::ActiveModel> = (0..4_100)
        .map(|n| entities::audit_log::ActiveModel {
            at: Set(now + 7 + i64::from(n / 3_000)),
            account_id: Set(Some(owner.account_id)),
            actor_id: Set(Some(owner.id)),
            action: Set("options.changed".into()),
            subject: Set(None),
            ip: Set(Some("127.0.0.1".into())),
            outcome: Set("success".into()),
            details: Set(Some(format!("change {n}"))),
            ..Default::default()
        })
        .collect();
    for chunk in rows.chunks(500) {
        entities::audit_log::Entity::insert_many(chunk.to_vec())
            .exec(&db)
            .await
            .expect("insert audit rows");
    }
    let csv = p.owner.get("/audit.csv?event=options.changed").await;
    assert_eq!(csv.status, StatusCode::OK);
    assert_eq!(
        csv.header("content-disposition").as_deref(),
        Some("attachment; filename=\"outcomes-audit.csv\"")
    );
    let lines: Vec<&str> = csv.body.lines().collect();
    assert!(
        lines[0].starts_with("time_utc,actor,action,"),
        "header first: {}",
        lines[0]
    );
    let changes: Vec<u32> = lines[1..]
        .iter()
        .filter_map(|line| line.split("change ").nth(1))
        .map(|rest| {
            rest.split(|c: char| !c.is_ascii_digit())
                .next()
                .unwrap_or("")
                .parse()
                .expect("number")
        })
        .collect();
    let mut expected: Vec<u32> = (0..4_100).collect();
    expected.sort_by_key(|n| (std::cmp::Reverse(n / 3_000), std::cmp::Reverse(*n)));
    assert_eq!(changes, expected, "newest first, every event once");
    let stamp = lines[1].split(',').next().unwrap_or_default();
    assert!(
        stamp.len() == "2026-01-01 00:00:00 UTC".len() && stamp.ends_with(" UTC"),
        "UTC time to the second: {stamp}"
    );
    let page = p.owner.get("/audit").await;
    let seconds = regex_like_seconds(&page.body);
    assert!(seconds, "the log page shows times to the second");
}

/// Whether the page shows a time like "14:05:09".
fn regex_like_seconds(body: &str) -> bool {
    body.as_bytes()
        .windows(8)
        .any(|w| w[2] == b':' && w[5] == b':' && [0, 1, 3, 4, 6, 7].iter().all(|&i| w[i].is_ascii_digit()))
}

crate::db_tests!(
    the_ratings_export_streams_every_rating_in_order_across_batches,
    the_audit_csv_streams_newest_first_with_times_to_the_second,
);
