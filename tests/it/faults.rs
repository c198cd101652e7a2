//! Faults at the edges: Twilio refusing connections, SMTP down, and the database going away and
//! coming back. A clear answer each time, never a 500, and nothing acknowledged is lost.

use reqwest::StatusCode;
use sea_orm::{ConnectionTrait, Database};

use crate::common::{
    AppOptions, Backend, STRONG_PASSWORD, TestApp, count_rows, create_client, create_staff, save_options,
};

fn closed_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("port")
}

async fn app_with(backend: Backend, extra: Vec<(&'static str, String)>) -> Option<TestApp> {
    TestApp::spawn_with(
        backend,
        AppOptions {
            public_url: None,
            extra,
        },
    )
    .await
}

async fn twilio_refusing_connections_gives_a_clear_message(backend: Backend) {
    let refused = format!("http://127.0.0.1:{}", closed_port());
    let Some(app) = app_with(backend, vec![("twilio_api_base", refused)]).await else {
        return;
    };
    let owner = app.signup("pro", "olivia", "").await;
    owner.login("olivia", STRONG_PASSWORD).await;
    save_options(&owner, true, false, "365", "15").await;
    create_staff(&owner, "provider", "pat", "+14155552671", None).await;
    let browser = app.browser();
    assert_eq!(
        browser.login("pat", STRONG_PASSWORD).await.location(),
        Some("/login/verify")
    );
    let page = browser.get("/login/verify").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.element_text("verify-error")
            .unwrap_or_default()
            .contains("could not send the text just now")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn twilio_refusing_connections_gives_a_clear_message_on_sqlite() {
    twilio_refusing_connections_gives_a_clear_message(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn twilio_refusing_connections_gives_a_clear_message_on_postgres() {
    twilio_refusing_connections_gives_a_clear_message(Backend::Postgres).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_smtp_down_a_safety_alert_still_saves_and_shows() {
    let smtp = format!("smtp://127.0.0.1:{}", closed_port());
    let app = app_with(Backend::Sqlite, vec![("smtp_url", smtp)])
        .await
        .expect("app");
    let owner = app.signup("pro", "olivia", "").await;
    owner.login("olivia", STRONG_PASSWORD).await;
    let pat = create_staff(&owner, "provider", "pat", "", None).await;
    let (id, _, _) = create_client(&owner, Some(pat), "").await;
    let page = format!("/clients/{id}");
    let mut fields = vec![("measure", "phq9")];
    let items = [
        "item1", "item2", "item3", "item4", "item5", "item6", "item7", "item8", "item9",
    ];
    for item in items {
        fields.push((item, if item == "item9" { "2" } else { "1" }));
    }
    let answer = owner.submit(&page, &format!("{page}/ratings"), &fields).await;
    assert_eq!(
        answer.status,
        StatusCode::SEE_OTHER,
        "saved although the mail could not go"
    );
    assert!(owner.get(&page).await.element_text("safety-alert").is_some());
    assert_eq!(count_rows(&app, "ratings").await, 1);
}

/// Stops new connections to the app's PostgreSQL database and ends the open ones, or lets
/// them in again: an outage of this one database, not of the server other tests use.
async fn database_available(app: &TestApp, available: bool) {
    let base = std::env::var("TEST_POSTGRES_URL").expect("TEST_POSTGRES_URL");
    let name = app.db_url.rsplit('/').next().expect("database name").to_string();
    let admin = Database::connect(&base).await.expect("admin connection");
    admin
        .execute_unprepared(&format!(
            "ALTER DATABASE {name} WITH ALLOW_CONNECTIONS {available}"
        ))
        .await
        .expect("alter database");
    if !available {
        admin
            .execute_unprepared(&format!(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}' AND pid <> pg_backend_pid()"
            ))
            .await
            .expect("terminate");
    }
    admin.close().await.ok();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn when_postgres_goes_away_pages_answer_503_and_service_resumes_by_itself() {
    let Some(app) = app_with(Backend::Postgres, Vec::new()).await else {
        return;
    };
    let owner = app.signup("pro", "olivia", "").await;
    owner.login("olivia", STRONG_PASSWORD).await;
    let pat = create_staff(&owner, "provider", "pat", "", None).await;
    let (id, _, _) = create_client(&owner, Some(pat), "").await;
    let page = format!("/clients/{id}");
    let csrf = owner.csrf_from(&page).await;
    let rate = |session: &'static str| {
        let owner = owner.clone();
        let (page, csrf) = (page.clone(), csrf.clone());
        async move {
            owner
                .post(
                    &format!("{page}/ratings"),
                    &[
                        ("csrf_token", csrf.as_str()),
                        ("measure", "ors"),
                        ("session", session),
                        ("total", "20"),
                    ],
                )
                .await
                .status
        }
    };
    let mut acknowledged = Vec::new();
    if rate("1").await == StatusCode::SEE_OTHER {
        acknowledged.push(1);
    }

    database_available(&app, false).await;
    let health = owner.get("/healthz").await;
    assert_eq!(health.status, StatusCode::SERVICE_UNAVAILABLE);
    let down = owner.get("/dashboard").await;
    assert_eq!(down.status, StatusCode::SERVICE_UNAVAILABLE);
    assert!(
        down.body.contains("cannot reach its database"),
        "a clear page: {}",
        down.body
    );
    let during = rate("2").await;
    assert_eq!(
        during,
        StatusCode::SERVICE_UNAVAILABLE,
        "not acknowledged while down"
    );

    database_available(&app, true).await;
    let mut healthy = false;
    for _ in 0..50 {
        if owner.get("/healthz").await.status == StatusCode::OK {
            healthy = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    assert!(healthy, "service resumed by itself");
    assert_eq!(
        owner.get("/dashboard").await.status,
        StatusCode::OK,
        "the session survived"
    );
    if rate("3").await == StatusCode::SEE_OTHER {
        acknowledged.push(3);
    }
    assert_eq!(acknowledged, vec![1, 3]);
    assert_eq!(
        count_rows(&app, "ratings").await,
        2,
        "every acknowledged rating is there, nothing else"
    );
}
