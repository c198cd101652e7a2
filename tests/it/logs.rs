//! Logs (SPEC §5): one line per request with an id that is also the `X-Request-Id` header, text
//! or one JSON object per line (`log_format`), and never a secret — every database test checks
//! its own secrets against the log (`common::secrets`); here, that the check can fail, and the
//! paths that carry secrets.

use std::collections::BTreeSet;

use reqwest::StatusCode;
use serde_json::Value;

use crate::binary::{Served, sign_up_and_in};
use crate::common::{AppOptions, Backend, STRONG_PASSWORD, TestApp, secrets, uuid_like};

/// This app's log lines that name `id`.
fn lines_with(app: &TestApp, id: &str) -> Vec<String> {
    secrets::log_since(app.log_from)
        .lines()
        .filter(|line| line.contains(id))
        .map(str::to_string)
        .collect()
}

fn generated(id: &str) -> bool {
    id.len() == 16 && id.chars().all(|c| c.is_ascii_hexdigit())
}

async fn every_answer_has_a_request_id_and_one_log_line(app: TestApp) {
    let browser = app.browser();
    let answer = browser.get("/login").await;
    assert_eq!(answer.status, StatusCode::OK);
    let id = answer.header("x-request-id").expect("an X-Request-Id header");
    assert!(generated(&id), "{id}");
    let lines = lines_with(&app, &id);
    assert_eq!(lines.len(), 1, "one line per request: {lines:#?}");
    assert!(
        lines[0].contains(&format!(" INFO  outcomes::request: {id} GET /login 200 ")),
        "{}",
        lines[0]
    );
    assert!(lines[0].contains(" ms ip=127.0.0.1 route=/login"), "{}", lines[0]);
    // Rocket's own lines for the request ("GET /login text/html:", "Matched: …") are not written.
    let log = secrets::log_since(app.log_from);
    assert!(
        !log.contains("Matched:") && !log.contains("Response succeeded"),
        "{log}"
    );

    let missing = browser.get("/no/such/page?q=1").await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    let other = missing.header("x-request-id").expect("an id on a 404 too");
    assert_ne!(other, id, "each request its own id");
    let lines = lines_with(&app, &other);
    assert_eq!(lines.len(), 1, "{lines:#?}");
    assert!(
        lines[0].contains(&format!("{other} GET /no/such/page 404 "))
            && lines[0].ends_with("route=unmatched"),
        "{}",
        lines[0]
    );
}

async fn link_tokens_and_query_strings_never_reach_the_log(app: TestApp) {
    let token = format!("{}{}", uuid_like(), uuid_like());
    let hidden = uuid_like();
    let browser = app.browser();
    let paths = [
        format!("/m/{token}?code={hidden}"),
        format!("/m/{token}/ors"),
        format!("/login/reset/{token}?next={hidden}"),
        format!("/login/sso/callback?state={hidden}&code={token}"),
    ];
    let mut ids = Vec::new();
    for path in &paths {
        let answer = browser.get(path).await;
        ids.push(answer.header("x-request-id").expect("an id"));
    }
    // A wrong method matches no route: the path rule alone hides the token.
    let wrong = browser
        .client
        .delete(format!("{}/m/{token}", app.base))
        .send()
        .await
        .expect("DELETE");
    ids.push(
        wrong.headers()["x-request-id"]
            .to_str()
            .expect("text")
            .to_string(),
    );
    let expected = [
        "GET /m/<redacted> ",
        "GET /m/<redacted>/ors ",
        "GET /login/reset/<redacted> ",
        "GET /login/sso/callback ",
        "DELETE /m/<redacted> ",
    ];
    for (id, shown) in ids.iter().zip(expected) {
        let lines = lines_with(&app, id);
        assert_eq!(lines.len(), 1, "{lines:#?}");
        assert!(lines[0].contains(shown), "{shown:?} in {}", lines[0]);
    }
    let log = secrets::log_since(app.log_from);
    assert!(!log.contains(&token) && !log.contains(&hidden), "{log}");
}

crate::db_tests!(
    every_answer_has_a_request_id_and_one_log_line,
    link_tokens_and_query_strings_never_reach_the_log
);

/// The check every database test ends with finds what it should, so it can fail.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_secret_check_finds_a_planted_secret() {
    let app = TestApp::spawn(Backend::Sqlite).await.expect("app");
    let planted = format!("{}{}", uuid_like(), uuid_like());
    let code = format!(
        "{:06}",
        u64::from_str_radix(&uuid_like()[..8], 16).expect("hex") % 1_000_000
    );
    let texted = format!("{:06}", (code.parse::<u32>().expect("digits") + 1) % 1_000_000);
    secrets::note(&app.base, &planted);
    secrets::note(&app.base, &code);
    secrets::note(&app.base, &texted);
    log::warn!(target: "outcomes::planted", "a careless line: token {planted}, code {code}");
    // A longer number holding the code is not the code; the development SMS provider may print.
    log::warn!(target: "outcomes::planted", "order 9{code}1 shipped");
    log::warn!(target: "outcomes::sms::log", "SMS (sms_provider = \"log\", not sent): {texted}");

    let all: BTreeSet<String> = [planted.clone(), code.clone(), texted.clone()].into();
    let leaks = secrets::find_leaks(&secrets::log_since(app.log_from), &all);
    assert_eq!(leaks.len(), 2, "{leaks:#?}");
    assert!(leaks.iter().any(|l| l.starts_with(&format!("{planted:?}"))));
    assert!(leaks.iter().any(|l| l.starts_with(&format!("{code:?}"))));

    // The check `db_tests!` runs panics on it.
    let check = app.secret_check();
    let failed = tokio::task::spawn_blocking(move || check.run()).await;
    assert!(failed.is_err(), "the check let a planted secret pass");
}

/// Behind a trusted proxy: its request id is kept when it is a short safe token, and the line
/// names the client the proxy forwarded for. From anyone else, the header is ignored.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_id_is_taken_from_a_trusted_proxy_only_and_only_when_safe() {
    let proxied = TestApp::spawn_with(
        Backend::Sqlite,
        AppOptions {
            public_url: None,
            extra: vec![("trusted_proxies", "127.0.0.1".to_string())],
        },
    )
    .await
    .expect("app");
    let direct = TestApp::spawn(Backend::Sqlite).await.expect("app");
    let client = reqwest::Client::new();
    let ask = |base: &str, id: &str| {
        client
            .get(format!("{base}/login"))
            .header("X-Request-Id", id)
            .header("X-Forwarded-For", "203.0.113.9")
            .send()
    };
    let edge = format!("edge-{}.a_B", uuid_like());
    let answer = ask(&proxied.base, &edge).await.expect("GET");
    assert_eq!(answer.headers()["x-request-id"], edge.as_str());
    let lines = lines_with(&proxied, &edge);
    assert_eq!(lines.len(), 1, "{lines:#?}");
    assert!(lines[0].contains("ip=203.0.113.9"), "{}", lines[0]);

    for unsafe_id in ["two words".to_string(), "a\"b".to_string(), "x".repeat(65)] {
        let answer = ask(&proxied.base, &unsafe_id).await.expect("GET");
        let given = answer.headers()["x-request-id"]
            .to_str()
            .expect("text")
            .to_string();
        assert!(generated(&given), "{unsafe_id:?} replaced, got {given:?}");
    }

    let answer = ask(&direct.base, &edge).await.expect("GET");
    let given = answer.headers()["x-request-id"]
        .to_str()
        .expect("text")
        .to_string();
    assert!(generated(&given), "an untrusted peer's id is replaced: {given}");
    let lines = lines_with(&direct, &given);
    assert!(lines[0].contains("ip=127.0.0.1"), "{}", lines[0]);
}

/// `log_format = "json"`: the request line as one object with every field a shipper indexes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn json_request_lines_carry_every_field() {
    let app = TestApp::spawn_with(
        Backend::Sqlite,
        AppOptions {
            public_url: None,
            extra: vec![("log_format", "json".to_string())],
        },
    )
    .await
    .expect("app");
    let answer = app.browser().get("/login?signed_out=1").await;
    let id = answer.header("x-request-id").expect("an id");
    let lines = lines_with(&app, &id);
    assert_eq!(lines.len(), 1, "{lines:#?}");
    let line: Value = serde_json::from_str(&lines[0]).expect("one JSON object");
    assert_eq!(line["request_id"], id.as_str());
    assert_eq!(line["level"], "info");
    assert_eq!(line["method"], "GET");
    assert_eq!(line["path"], "/login", "no query string");
    assert_eq!(line["route"], "/login");
    assert_eq!(line["status"], 200);
    assert_eq!(line["ip"], "127.0.0.1");
    assert!(line["duration_ms"].as_f64().is_some_and(|ms| ms >= 0.0), "{line}");
    let time = line["time"].as_str().expect("a time");
    assert!(chrono::DateTime::parse_from_rfc3339(time).is_ok(), "{time}");
}

/// The built binary with `ROCKET_LOG_FORMAT=json`: every line it prints is a JSON object (the
/// launch lines too), a person's sign-in leaves its request lines, and no password or cookie.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_binary_logs_json_lines_without_secrets() {
    let dir = tempfile::tempdir().expect("temp dir");
    let served = Served::start(dir.path(), &[], &[("ROCKET_LOG_FORMAT", "json".to_string())]).await;
    let browser = served.browser();
    sign_up_and_in(&browser, "olivia").await;
    let answer = browser.get("/dashboard").await;
    let id = answer.header("x-request-id").expect("an id");
    let cookies: Vec<String> = ["outcomes_session", "__Host-outcomes_session"]
        .iter()
        .filter_map(|name| browser.cookie(name))
        .collect();
    let log = served.log_text();
    let mut requests = 0;
    for line in log.lines() {
        let object: Value = serde_json::from_str(line).unwrap_or_else(|_| panic!("not JSON: {line}"));
        assert!(
            object["time"].is_string() && object["level"].is_string(),
            "{line}"
        );
        if object["target"] == "outcomes::request" {
            requests += 1;
        }
    }
    assert!(requests >= 5, "sign-up and sign-in leave request lines:\n{log}");
    assert!(log.contains(&format!("\"request_id\":\"{id}\"")), "{log}");
    assert!(!log.contains(STRONG_PASSWORD), "{log}");
    for cookie in cookies {
        assert!(!log.contains(&cookie), "session cookie in the log");
    }
}
