//! A client that goes away in the middle of `/export.csv` stops the reading (issue 17): the
//! export's batches are counted on `/metrics`, and after a raw TCP client reads a little and
//! hangs up, the export ends as `stopped` having read far fewer batches than a whole export.

use std::collections::HashMap;

use reqwest::StatusCode;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::common::{AppOptions, Backend, TestApp};

const TOKEN: &str = "metrics-token-for-the-export-tests-0123456789";

/// Large enough that a whole export is far more than the socket buffers between the app and a
/// client that stops reading (about 60,000 ratings, some 8 MB of CSV, 30 batches).
const CLIENTS: usize = 3_000;

/// The export counters: (`batches`, `complete`, `stopped`) for the ratings export.
async fn counters(app: &TestApp) -> (u64, u64, u64) {
    let text = reqwest::Client::new()
        .get(format!("{}/metrics", app.base))
        .bearer_auth(TOKEN)
        .send()
        .await
        .expect("GET /metrics")
        .text()
        .await
        .expect("metrics body");
    let values: HashMap<&str, u64> = text
        .lines()
        .filter(|l| !l.starts_with('#'))
        .filter_map(|l| l.rsplit_once(' '))
        .filter_map(|(name, value)| Some((name, value.parse().ok()?)))
        .collect();
    let get = |name: &str| values.get(name).copied().unwrap_or_default();
    (
        get("outcomes_export_batches_total{export=\"ratings\"}"),
        get("outcomes_exports_total{export=\"ratings\",end=\"complete\"}"),
        get("outcomes_exports_total{export=\"ratings\",end=\"stopped\"}"),
    )
}

/// Polls the counters until an export has ended (bounded; each poll is a request).
async fn after_an_end(app: &TestApp, ended_before: u64) -> (u64, u64, u64) {
    for _ in 0..5_000 {
        let now = counters(app).await;
        if now.1 + now.2 > ended_before {
            return now;
        }
        tokio::task::yield_now().await;
    }
    panic!("the export never ended: {:?}", counters(app).await);
}

async fn a_client_that_hangs_up_mid_export_stops_the_reading(backend: Backend) {
    let Some(app) = TestApp::spawn_with(
        backend,
        AppOptions {
            public_url: None,
            extra: vec![("metrics_token", TOKEN.to_string())],
        },
    )
    .await
    else {
        return;
    };
    let audit = app.audit_check();
    let owner_login = format!("demo-owner-{}", app.demo_practice(CLIENTS).await);
    let owner = app.browser();
    let signed = owner.login(&owner_login, outcomes::demo::DEMO_PASSWORD).await;
    assert_eq!(signed.status, StatusCode::SEE_OTHER, "{}", signed.body);

    // A whole export first: how many batches the end takes.
    let whole = owner.get("/export.csv").await;
    assert_eq!(whole.status, StatusCode::OK);
    let rows = whole.body.lines().count() - 1;
    let (whole_batches, complete, stopped) = after_an_end(&app, 0).await;
    assert_eq!((complete, stopped), (1, 0), "the whole export ended complete");
    assert!(
        whole_batches >= 25,
        "{rows} ratings make many batches: {whole_batches}"
    );

    // Then a client with a small receive buffer that reads the start and hangs up.
    let cookies = {
        use reqwest::cookie::CookieStore;
        let header = owner
            .jar
            .cookies(&app.base.parse().expect("base URL"))
            .expect("signed-in cookies");
        header.to_str().expect("cookie text").to_string()
    };
    let address: std::net::SocketAddr = app
        .base
        .trim_start_matches("http://")
        .parse()
        .expect("app address");
    let socket = tokio::net::TcpSocket::new_v4().expect("socket");
    socket.set_recv_buffer_size(4_096).expect("receive buffer");
    let mut stream = socket.connect(address).await.expect("connect");
    stream
        .write_all(
            format!(
                "GET /export.csv HTTP/1.1\r\nHost: {address}\r\nCookie: {cookies}\r\nUser-Agent: {}\r\n\r\n",
                crate::common::CHROME_UA
            )
            .as_bytes(),
        )
        .await
        .expect("send request");
    let mut start = Vec::new();
    let mut buffer = [0_u8; 4_096];
    while start.len() < 20_000 {
        let n = stream.read(&mut buffer).await.expect("read");
        assert!(n > 0, "the export ended before 20,000 bytes");
        start.extend_from_slice(&buffer[..n]);
    }
    let head = String::from_utf8_lossy(&start);
    assert!(
        head.starts_with("HTTP/1.1 200"),
        "{}",
        &head[..200.min(head.len())]
    );
    assert!(head.contains("client_id,client_user_id,"), "the CSV has begun");
    drop(stream);

    let (batches, complete, stopped) = after_an_end(&app, 1).await;
    assert_eq!(
        (complete, stopped),
        (1, 1),
        "the export ended when the client went away, not at its last row"
    );
    let read = batches - whole_batches;
    assert!(
        read * 2 < whole_batches,
        "the reading stopped well before the end: {read} of {whole_batches} batches"
    );
    audit.run().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_that_hangs_up_mid_export_stops_the_reading_on_sqlite() {
    a_client_that_hangs_up_mid_export_stops_the_reading(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_that_hangs_up_mid_export_stops_the_reading_on_postgres() {
    a_client_that_hangs_up_mid_export_stops_the_reading(Backend::Postgres).await;
}
