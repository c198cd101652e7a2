//! Dashboard benchmark (`cargo bench --bench dashboards`; `BENCH_DB=postgres` for PostgreSQL
//! via TEST_POSTGRES_URL): fills a practice of 10,000 clients and about 200,000 ratings with
//! `outcomes demo`, then times the provider, supervisor and owner dashboards, `/clients` pages,
//! a client page and `/audit` pages (`BENCH_CLIENTS` sets the size, `BENCH_AUDIT_ROWS` adds
//! that many audit events first).
//! Requests go only to 127.0.0.1; every loop is bounded.

// A test or benchmark that cannot set up must stop loudly: unwrap, expect and panic are its
// assertions here, unlike on the service's request paths.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
// Helpers sit next to the step that needs them, and scores read back are exact to the decimal.
#![allow(clippy::items_after_statements, clippy::float_cmp)]
// Request bodies and reports are assembled as text.
#![allow(clippy::format_push_string, clippy::format_collect)]

#[path = "../tests/common/mod.rs"]
mod common;

use std::time::{Duration, Instant};

use common::{Backend, TestApp};
use reqwest::StatusCode;

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime")
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn main() {
    let clients: usize = std::env::var("BENCH_CLIENTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(10_000);
    let backend = if std::env::var("BENCH_DB").as_deref() == Ok("postgres") {
        Backend::Postgres
    } else {
        Backend::Sqlite
    };
    let server = runtime();
    let app = server
        .block_on(TestApp::spawn(backend))
        .expect("app (is TEST_POSTGRES_URL set?)");
    let load = runtime();
    load.block_on(async {
        let dir = tempfile::tempdir().expect("temp dir");
        let figment = rocket::Config::figment()
            .merge(("data_dir", dir.path().display().to_string()))
            .merge(("database_url", app.db_url.clone()))
            .merge(("secret_key", common::SECRET_KEY));
        let started = Instant::now();
        let args = vec!["--clients".to_string(), clients.to_string()];
        let summary = outcomes::run_demo(figment, &args).await.expect("demo");
        let fill = started.elapsed();
        let tag = summary
            .split("Demo Practice ")
            .nth(1)
            .and_then(|s| s.split('"').next())
            .expect("tag")
            .to_string();
        let ratings = common::count_rows(&app, "ratings").await;
        println!(
            "{backend:?}: {clients} clients, {ratings} ratings, filled in {:.1} s",
            fill.as_secs_f64()
        );
        println!();
        println!("| page ({backend:?}) | caseload | SQL statements | p50 | p95 | max |");
        println!("|---|---|---|---|---|---|");
        // A client of provider 0 for the client page, and the audit log's oldest page edge.
        let db = app.db().await;
        let client_id: i32 = {
            use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QuerySelect};
            let provider: i32 = entities::user::Entity::find()
                .select_only()
                .column(entities::user::Column::Id)
                .filter(entities::user::Column::Login.eq(format!("demo-pro-{tag}-0")))
                .into_tuple()
                .one(&db)
                .await
                .expect("read")
                .expect("provider 0");
            entities::user::Entity::find()
                .select_only()
                .column(entities::user::Column::Id)
                .filter(entities::user::Column::ProviderId.eq(provider))
                .into_tuple()
                .one(&db)
                .await
                .expect("read")
                .expect("a client of provider 0")
        };
        // BENCH_AUDIT_ROWS events spread over the past (ten a second), straight into the table.
        let audit_rows: i64 = std::env::var("BENCH_AUDIT_ROWS")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(0);
        let now = chrono::Utc::now().timestamp();
        if audit_rows > 0 {
            use sea_orm::{ActiveValue::Set, EntityTrait};
            let account: i32 = {
                use sea_orm::{ColumnTrait, QueryFilter};
                entities::user::Entity::find()
                    .filter(entities::user::Column::Login.eq(format!("demo-owner-{tag}")))
                    .one(&db)
                    .await
                    .expect("read")
                    .expect("owner")
                    .account_id
            };
            let started = Instant::now();
            let mut n = 0_i64;
            while n < audit_rows {
                let batch: Vec<entities::audit_log::ActiveModel> = (n..(n + 3_000).min(audit_rows))
                    .map(|i| entities::audit_log::ActiveModel {
                        at: Set(now - 60 - i / 10),
                        account_id: Set(Some(account)),
                        actor_id: Set(Some(account)),
                        action: Set(["client.viewed", "rating.recorded", "login.succeeded"]
                            [(i % 3) as usize]
                            .into()),
                        subject: Set(Some(format!("client {}", client_id + (i % 50) as i32))),
                        ip: Set(Some("127.0.0.1".into())),
                        outcome: Set("success".into()),
                        details: Set(None),
                        ..Default::default()
                    })
                    .collect();
                n += batch.len() as i64;
                entities::audit_log::Entity::insert_many(batch)
                    .exec_without_returning(&db)
                    .await
                    .expect("insert audit rows");
            }
            // A log that grew over months has been vacuumed and analyzed by autovacuum many
            // times; one written in a minute has not, and autovacuum would start on it in the
            // middle of the timings. Do now what it would have done.
            if backend == Backend::Postgres {
                use sea_orm::ConnectionTrait;
                db.execute_unprepared("VACUUM ANALYZE audit_log")
                    .await
                    .expect("vacuum the audit log");
            }
            println!(
                "{audit_rows} audit rows added in {:.1} s",
                started.elapsed().as_secs_f64()
            );
        }
        let middle = format!("/audit?older={}.{}", now - 60 - audit_rows / 20, i32::MAX);
        let owner = format!("demo-owner-{tag}");
        let everyone = format!("{clients} clients");
        let pages = [
            (
                "provider dashboard",
                format!("demo-pro-{tag}-0"),
                "/dashboard".to_string(),
                "100 clients",
            ),
            (
                "supervisor dashboard",
                format!("demo-sup-{tag}-0"),
                "/dashboard".to_string(),
                "10 providers, 1,000 clients",
            ),
            (
                "owner dashboard",
                format!("demo-owner-{tag}"),
                "/dashboard".to_string(),
                "10,000 clients",
            ),
            (
                "/clients search",
                owner.clone(),
                "/clients?q=client+0012".to_string(),
                everyone.as_str(),
            ),
            (
                "/clients filter red, by flag, page 3",
                owner.clone(),
                "/clients?flag=red&sort=flag&page=3".to_string(),
                everyone.as_str(),
            ),
            (
                "/clients by name (the default), page 200",
                owner.clone(),
                "/clients?page=200".to_string(),
                everyone.as_str(),
            ),
            (
                "/clients by last session, page 200",
                owner.clone(),
                "/clients?sort=last_session&page=200".to_string(),
                everyone.as_str(),
            ),
            (
                "client page",
                format!("demo-pro-{tag}-0"),
                format!("/clients/{client_id}"),
                "one client",
            ),
            (
                "/audit newest page",
                owner.clone(),
                "/audit".to_string(),
                "the practice's log",
            ),
            (
                "/audit one event",
                owner.clone(),
                "/audit?event=client.viewed".to_string(),
                "the practice's log",
            ),
            (
                "/audit older page (cursor mid-log)",
                owner.clone(),
                middle.clone(),
                "the practice's log",
            ),
        ];
        for (name, login, path, caseload) in pages {
            let browser = app.browser();
            let answer = browser.login(&login, outcomes::demo::DEMO_PASSWORD).await;
            assert_eq!(answer.status, StatusCode::SEE_OTHER, "{login} signs in");
            assert_eq!(browser.get(&path).await.status, StatusCode::OK, "warm-up");
            let before = app.queries.get();
            assert_eq!(browser.get(&path).await.status, StatusCode::OK);
            let statements = app.queries.get() - before;
            let mut times = Vec::new();
            for _ in 0..40 {
                let started = Instant::now();
                let page = browser.get(&path).await;
                times.push(started.elapsed());
                assert_eq!(page.status, StatusCode::OK);
            }
            times.sort();
            println!(
                "| {name} | {caseload} | {statements} | {:.1} ms | {:.1} ms | {:.1} ms |",
                ms(times[times.len() / 2]),
                ms(times[times.len() * 95 / 100]),
                ms(times[times.len() - 1])
            );
        }
    });
    drop(app);
}
