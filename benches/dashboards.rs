//! Dashboard benchmark (`cargo bench --bench dashboards`; `BENCH_DB=postgres` for PostgreSQL
//! via TEST_POSTGRES_URL): fills a practice of 10,000 clients and about 200,000 ratings with
//! `outcomes demo`, then times the provider, supervisor and owner dashboards and a client page.
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
