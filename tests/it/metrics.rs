//! `GET /metrics` (SPEC §5): off without `metrics_token`, a bearer token otherwise, and the
//! Prometheus text format (read by the `prometheus-parse` crate) with the listed counters.

use reqwest::StatusCode;

use crate::common::fake_twilio::Behaviour;
use crate::common::{
    AppOptions, Backend, STRONG_PASSWORD, TestApp, create_client, create_staff, save_options,
};

const TOKEN: &str = "metrics-token-for-the-tests-0123456789";

async fn app_with_token(backend: Backend, extra: Vec<(&'static str, String)>) -> Option<TestApp> {
    let mut extra = extra;
    extra.push(("metrics_token", TOKEN.to_string()));
    TestApp::spawn_with(
        backend,
        AppOptions {
            public_url: None,
            extra,
        },
    )
    .await
}

/// Scrapes `/metrics` with the token and parses it; every sample line must be read.
async fn scrape(app: &TestApp) -> prometheus_parse::Scrape {
    let answer = reqwest::Client::new()
        .get(format!("{}/metrics", app.base))
        .bearer_auth(TOKEN)
        .send()
        .await
        .expect("GET /metrics");
    assert_eq!(answer.status(), StatusCode::OK);
    let kind = answer
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string();
    assert!(
        kind.starts_with("text/plain") && kind.contains("version=0.0.4"),
        "{kind}"
    );
    let text = answer.text().await.expect("body");
    let sample_lines = text
        .lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
        .count();
    let scrape = prometheus_parse::Scrape::parse(text.lines().map(|l| Ok(l.to_string())))
        .expect("the Prometheus text format");
    assert_eq!(scrape.samples.len(), sample_lines, "every sample parsed:\n{text}");
    for sample in &scrape.samples {
        assert!(
            scrape.docs.contains_key(&sample.metric),
            "HELP for {}",
            sample.metric
        );
    }
    scrape
}

fn value(scrape: &prometheus_parse::Scrape, metric: &str, labels: &[(&str, &str)]) -> f64 {
    scrape
        .samples
        .iter()
        .filter(|s| s.metric == metric)
        .find(|s| labels.iter().all(|(k, v)| s.labels.get(k) == Some(*v)))
        .map_or(0.0, |s| match s.value {
            prometheus_parse::Value::Counter(v) | prometheus_parse::Value::Gauge(v) => v,
            ref other => panic!("{metric} is a counter or gauge: {other:?}"),
        })
}

async fn metrics_are_off_without_a_token(app: TestApp) {
    let answer = app.browser().get("/metrics").await;
    assert_eq!(answer.status, StatusCode::NOT_FOUND);
}

async fn metrics_need_the_bearer_token(backend: Backend) {
    let Some(app) = app_with_token(backend, Vec::new()).await else {
        return;
    };
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client");
    let url = format!("{}/metrics", app.base);
    let none = client.get(&url).send().await.expect("GET");
    assert_eq!(none.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(
        none.headers()
            .get("www-authenticate")
            .and_then(|v| v.to_str().ok()),
        Some("Bearer")
    );
    let wrong = client
        .get(&url)
        .bearer_auth("metrics-token")
        .send()
        .await
        .expect("GET");
    assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED);
    let basic = client
        .get(&url)
        .basic_auth(TOKEN, None::<&str>)
        .send()
        .await
        .expect("GET");
    assert_eq!(basic.status(), StatusCode::UNAUTHORIZED);
    scrape(&app).await;
}

async fn metrics_count_requests_sign_ins_codes_and_mail(backend: Backend) {
    let closed_smtp = format!(
        "smtp://127.0.0.1:{}",
        std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map(|a| a.port())
            .expect("port")
    );
    let Some(app) = app_with_token(backend, vec![("smtp_url", closed_smtp)]).await else {
        return;
    };
    let owner = app.signup("pro", "olivia", "").await;
    owner.login("olivia", STRONG_PASSWORD).await;
    save_options(&owner, true, false, "365", "15").await;
    let pat = create_staff(&owner, "provider", "pat", "+14155552671", None).await;
    // Pat signs in with a texted code; a second try finds Twilio refusing.
    let browser = app.browser();
    browser.login("pat", STRONG_PASSWORD).await;
    let code = app.twilio.last_code_to("+14155552671").expect("code");
    let csrf = browser.csrf_from("/login/verify").await;
    let verified = browser
        .post("/login/verify", &[("csrf_token", &csrf), ("code", &code)])
        .await;
    assert_eq!(verified.status, StatusCode::SEE_OTHER);
    app.twilio.behave(Behaviour::Fail {
        status: 400,
        code: 21211,
        message: "Invalid 'To' Phone Number".into(),
    });
    app.browser().login("pat", STRONG_PASSWORD).await;
    // A safety alert whose mail cannot go (the SMTP port is closed).
    let (id, _, _) = create_client(&owner, Some(pat), "").await;
    let page = format!("/clients/{id}");
    let mut fields = vec![("measure", "phq9")];
    for item in [
        "item1", "item2", "item3", "item4", "item5", "item6", "item7", "item8", "item9",
    ] {
        fields.push((item, if item == "item9" { "2" } else { "1" }));
    }
    let saved = owner.submit(&page, &format!("{page}/ratings"), &fields).await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER);
    app.browser().get("/no-such-page").await;

    let scrape = scrape(&app).await;
    let requests = "outcomes_http_requests_total";
    assert!(
        value(
            &scrape,
            requests,
            &[("method", "POST"), ("route", "/login"), ("status", "303")]
        ) >= 3.0
    );
    assert!(
        scrape.samples.iter().any(|s| s.metric == requests
            && s.labels
                .get("route")
                .is_some_and(|r| r.starts_with("/clients/<id>"))
            && s.labels.get("status") == Some("200")),
        "routes by their pattern, not their ids"
    );
    assert_eq!(
        value(&scrape, requests, &[("route", "unmatched"), ("status", "404")]),
        1.0
    );
    assert_eq!(
        value(&scrape, "outcomes_sign_ins_total", &[("factor", "password")]),
        1.0,
        "the owner"
    );
    assert_eq!(
        value(&scrape, "outcomes_sign_ins_total", &[("factor", "password+sms")]),
        1.0,
        "pat"
    );
    assert_eq!(value(&scrape, "outcomes_codes_sent_total", &[]), 1.0);
    assert_eq!(value(&scrape, "outcomes_codes_failed_total", &[]), 1.0);
    assert!(value(&scrape, "outcomes_mail_failed_total", &[]) >= 1.0);
    assert!(
        value(&scrape, "outcomes_mail_outbox_depth", &[]) >= 1.0,
        "the undelivered alert waits in the outbox for its retry"
    );
    assert!(
        scrape
            .samples
            .iter()
            .any(|s| s.metric == "outcomes_mail_sent_total"),
        "sent mail is counted too"
    );
}

mod off {
    use super::*;
    crate::db_tests!(metrics_are_off_without_a_token);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_need_the_bearer_token_on_sqlite() {
    metrics_need_the_bearer_token(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_need_the_bearer_token_on_postgres() {
    metrics_need_the_bearer_token(Backend::Postgres).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_count_requests_sign_ins_codes_and_mail_on_sqlite() {
    metrics_count_requests_sign_ins_codes_and_mail(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_count_requests_sign_ins_codes_and_mail_on_postgres() {
    metrics_count_requests_sign_ins_codes_and_mail(Backend::Postgres).await;
}
