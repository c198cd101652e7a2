//! The durable outbox (SPEC §3.1): a safety alert's mail survives SMTP being down, a text the
//! provider refused once goes exactly once, retries follow 1 min / 5 min / 30 min / 2 h and then
//! the owner sees the failure, and two instances on one PostgreSQL database send each of 200
//! queued messages once. Time moves by the app's clock; nothing sleeps for a retry.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use reqwest::StatusCode;
use sea_orm::{ConnectionTrait, Statement};

use crate::common::fake_twilio::Behaviour;
use crate::common::{AppOptions, Backend, STRONG_PASSWORD, TestApp, create_client, create_staff, tools};
use crate::outcomes_common::{error_texts, rate};

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

/// A real SMTP server (aiosmtpd) on 127.0.0.1 that writes each message it takes to a folder.
struct Smtp {
    child: Child,
    dir: tempfile::TempDir,
}

const SMTP_SERVER: &str = r#"
import os, sys, time
from aiosmtpd.controller import Controller
port, folder = int(sys.argv[1]), sys.argv[2]
class Keep:
    async def handle_DATA(self, server, session, envelope):
        name = os.path.join(folder, "%d-%d" % (time.time_ns(), os.getpid()))
        with open(name + ".tmp", "wb") as f:
            f.write(envelope.content)
        os.rename(name + ".tmp", name + ".eml")
        return "250 OK"
controller = Controller(Keep(), hostname="127.0.0.1", port=port)
controller.start()
print("ready", flush=True)
while True:
    time.sleep(3600)
"#;

impl Smtp {
    fn start(port: u16) -> Option<Self> {
        let python = tools::python_with("aiosmtpd")?;
        let dir = tempfile::tempdir().expect("temp dir");
        let mut child = Command::new(python)
            .args(["-c", SMTP_SERVER, &port.to_string()])
            .arg(dir.path())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("start aiosmtpd");
        let stdout = child.stdout.take().expect("stdout");
        let mut line = String::new();
        BufReader::new(stdout)
            .read_line(&mut line)
            .expect("aiosmtpd speaks");
        assert_eq!(line.trim(), "ready", "aiosmtpd started");
        Some(Self { child, dir })
    }

    fn messages(&self) -> Vec<String> {
        read_mails(self.dir.path())
    }
}

impl Drop for Smtp {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn read_mails(dir: &Path) -> Vec<String> {
    let mut out = Vec::new();
    if let Ok(entries) = std::fs::read_dir(dir) {
        let mut paths: Vec<PathBuf> = entries.flatten().map(|e| e.path()).collect();
        paths.sort();
        for path in paths
            .into_iter()
            .filter(|p| p.extension().is_some_and(|e| e == "eml"))
        {
            if let Ok(text) = std::fs::read_to_string(path) {
                out.push(text);
            }
        }
    }
    out
}

/// Waits (bounded, 10 s) until `done` holds; false if it never did.
async fn eventually<F, Fut>(mut done: F) -> bool
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    for _ in 0..200 {
        if done().await {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    false
}

/// (status, attempts) of every outbox row, oldest first.
async fn outbox_rows(app: &TestApp) -> Vec<(String, i32)> {
    let db = app.db().await;
    let rows = db
        .query_all_raw(Statement::from_string(
            db.get_database_backend(),
            "SELECT status, attempts FROM outbox ORDER BY id",
        ))
        .await
        .expect("outbox query");
    rows.iter()
        .map(|r| {
            (
                r.try_get::<String>("", "status").expect("status"),
                r.try_get::<i32>("", "attempts").expect("attempts"),
            )
        })
        .collect()
}

async fn app_with(backend: Backend, extra: Vec<(&'static str, String)>) -> Option<TestApp> {
    let mut extra = extra;
    extra.push(("outbox_poll_ms", "50".into()));
    TestApp::spawn_with(
        backend,
        AppOptions {
            public_url: None,
            extra,
        },
    )
    .await
}

/// A practice whose provider has an e-mail address; a client of theirs answers PHQ-9 item 9.
async fn raise_safety_alert(app: &TestApp) -> crate::common::Browser {
    let owner = app.signup("pro", "olivia", "").await;
    owner.login("olivia", STRONG_PASSWORD).await;
    let pat = create_staff(&owner, "provider", "pat", "", None).await;
    let (client, _, _) = create_client(&owner, Some(pat), "").await;
    let mut fields = vec![("measure", "phq9"), ("source", "paper")];
    for item in [
        "item1", "item2", "item3", "item4", "item5", "item6", "item7", "item8",
    ] {
        fields.push((item, "0"));
    }
    fields.push(("item9", "2"));
    let answer = rate(&owner, client, &fields).await;
    assert_eq!(answer.status, StatusCode::SEE_OTHER, "{:?}", error_texts(&answer));
    owner
}

async fn with_smtp_down_a_safety_alert_is_delivered_when_smtp_returns(backend: Backend) {
    let port = free_port();
    let Some(app) = app_with(backend, vec![("smtp_url", format!("smtp://127.0.0.1:{port}"))]).await else {
        return;
    };
    raise_safety_alert(&app).await;
    assert_eq!(
        outbox_rows(&app).await,
        vec![("pending".to_string(), 1)],
        "tried once, kept"
    );

    let Some(smtp) = Smtp::start(port) else {
        return;
    };
    // Back, but the retry is not due for a minute: several worker passes send nothing.
    app.clock.advance(55);
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(smtp.messages().is_empty(), "not before its time");
    app.clock.advance(6);
    assert!(
        eventually(|| async { !smtp.messages().is_empty() }).await,
        "delivered after SMTP came back"
    );
    let mails = smtp.messages();
    assert_eq!(mails.len(), 1, "sent once");
    assert!(mails[0].contains("safety alert"), "{}", mails[0]);
    assert!(mails[0].contains("pat@example.com"));
    assert!(
        eventually(|| async { outbox_rows(&app).await == vec![("sent".to_string(), 2)] }).await,
        "{:?}",
        outbox_rows(&app).await
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_smtp_down_a_safety_alert_is_delivered_when_smtp_returns_on_sqlite() {
    with_smtp_down_a_safety_alert_is_delivered_when_smtp_returns(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_smtp_down_a_safety_alert_is_delivered_when_smtp_returns_on_postgres() {
    with_smtp_down_a_safety_alert_is_delivered_when_smtp_returns(Backend::Postgres).await;
}

async fn retries_follow_the_back_off_then_the_owner_sees_the_failure(backend: Backend) {
    let port = free_port();
    let Some(app) = app_with(backend, vec![("smtp_url", format!("smtp://127.0.0.1:{port}"))]).await else {
        return;
    };
    let owner = raise_safety_alert(&app).await;
    assert!(
        owner
            .get("/dashboard")
            .await
            .element_text("failed-messages")
            .is_none()
    );
    for (attempt, wait) in [(2, 60), (3, 300), (4, 1800), (5, 7200)] {
        // A few seconds early (the clock counts whole seconds, and real time runs on): no try.
        app.clock.advance(wait - 5);
        tokio::time::sleep(Duration::from_millis(200)).await;
        assert_eq!(outbox_rows(&app).await[0].1, attempt - 1, "not before {wait} s");
        app.clock.advance(5);
        assert!(
            eventually(|| async { outbox_rows(&app).await[0].1 == attempt }).await,
            "try {attempt} after {wait} s: {:?}",
            outbox_rows(&app).await
        );
    }
    assert_eq!(outbox_rows(&app).await, vec![("failed".to_string(), 5)]);
    // Given up: no sixth try, and the owner is told.
    app.clock.advance(24 * 3600);
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(outbox_rows(&app).await, vec![("failed".to_string(), 5)]);
    // Hours have passed: the owner signs in again.
    let owner = crate::outcomes_common::sign_in(&app, "olivia", STRONG_PASSWORD).await;
    let dashboard = owner.get("/dashboard").await;
    let listed = dashboard
        .element_text("failed-messages")
        .expect("listed for the owner");
    assert!(listed.contains("safety alert"), "{listed}");
    assert!(listed.contains("•••@example.com"), "address masked: {listed}");
    assert!(!listed.contains("pat@example.com"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn retries_follow_the_back_off_then_the_owner_sees_the_failure_on_sqlite() {
    retries_follow_the_back_off_then_the_owner_sees_the_failure(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn retries_follow_the_back_off_then_the_owner_sees_the_failure_on_postgres() {
    retries_follow_the_back_off_then_the_owner_sees_the_failure(Backend::Postgres).await;
}

/// Queues `count` texts straight into the outbox table (as a burst of invitations would).
pub(crate) async fn queue_texts(db: &sea_orm::DatabaseConnection, count: usize, now: i64) {
    let values: Vec<String> = (0..count)
        .map(|i| {
            format!(
                "(NULL, 'sms', '+1415555{:04}', '', 'message {i}', 'test', 'pending', 0, {now}, 0, '', {now}, NULL, '')",
                2000 + i
            )
        })
        .collect();
    db.execute_unprepared(&format!(
        "INSERT INTO outbox (account_id, channel, recipient, subject, body, purpose, status, attempts, \
         next_attempt_at, claimed_until, claimed_by, created_at, sent_at, last_error) VALUES {}",
        values.join(", ")
    ))
    .await
    .expect("queue texts");
}

async fn a_text_the_provider_refused_once_goes_exactly_once(backend: Backend) {
    let Some(app) = app_with(backend, Vec::new()).await else {
        return;
    };
    app.twilio.behave(Behaviour::Fail {
        status: 500,
        code: 20500,
        message: "Internal Server Error".into(),
    });
    queue_texts(&app.db().await, 1, app.clock.now()).await;
    assert!(
        eventually(|| async { app.twilio.count() == 1 }).await,
        "the worker tried it"
    );
    assert!(eventually(|| async { outbox_rows(&app).await == vec![("pending".to_string(), 1)] }).await);
    app.twilio.behave(Behaviour::Accept);
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(app.twilio.count(), 1, "no retry before a minute");
    app.clock.advance(60);
    assert!(eventually(|| async { outbox_rows(&app).await == vec![("sent".to_string(), 2)] }).await);
    app.clock.advance(3 * 3600);
    tokio::time::sleep(Duration::from_millis(200)).await;
    let requests = app.twilio.messages();
    assert_eq!(requests.len(), 2, "one refused, one accepted, nothing more");
    assert!(requests.iter().all(|m| m.body() == "message 0"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_text_the_provider_refused_once_goes_exactly_once_on_sqlite() {
    a_text_the_provider_refused_once_goes_exactly_once(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_text_the_provider_refused_once_goes_exactly_once_on_postgres() {
    a_text_the_provider_refused_once_goes_exactly_once(Backend::Postgres).await;
}

/// A server process on `database_url`, killed when dropped.
struct Instance {
    child: Child,
    _data: tempfile::TempDir,
}

impl Drop for Instance {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

async fn start_instance(database_url: &str, twilio: &crate::common::FakeTwilio) -> Instance {
    use crate::common::{SECRET_KEY, fake_twilio};
    let data = tempfile::tempdir().expect("temp dir");
    let port = free_port();
    let child = Command::new(env!("CARGO_BIN_EXE_outcomes"))
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env("ROCKET_ADDRESS", "127.0.0.1")
        .env("ROCKET_PORT", port.to_string())
        .env("ROCKET_LOG_LEVEL", "off")
        .env("ROCKET_DATA_DIR", data.path())
        .env("DATABASE_URL", database_url)
        .env("ROCKET_SECRET_KEY", SECRET_KEY)
        .env("ROCKET_SMS_PROVIDER", "twilio")
        .env("ROCKET_TWILIO_API_BASE", &twilio.base)
        .env("ROCKET_TWILIO_ACCOUNT_SID", fake_twilio::ACCOUNT_SID)
        .env("ROCKET_TWILIO_AUTH_TOKEN", fake_twilio::AUTH_TOKEN)
        .env("ROCKET_TWILIO_FROM", "+15005550006")
        .env("ROCKET_OUTBOX_POLL_MS", "20")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start outcomes");
    let instance = Instance { child, _data: data };
    let client = reqwest::Client::new();
    for _ in 0..300 {
        if client
            .get(format!("http://127.0.0.1:{port}/healthz"))
            .send()
            .await
            .is_ok_and(|r| r.status().is_success())
        {
            return instance;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("instance on port {port} did not start");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_instances_on_one_postgres_database_send_each_of_200_messages_once() {
    let dir = tempfile::tempdir().expect("temp dir");
    let Some(database) = crate::common::TestDatabase::create(Backend::Postgres, dir.path()).await else {
        return;
    };
    let twilio = crate::common::FakeTwilio::start().await;
    let _first = start_instance(&database.url, &twilio).await;
    let _second = start_instance(&database.url, &twilio).await;
    let db = sea_orm::Database::connect(&database.url).await.expect("connect");
    let now = chrono::Utc::now().timestamp();
    queue_texts(&db, 200, now).await;
    let sent = || async {
        let row = db
            .query_one_raw(Statement::from_string(
                db.get_database_backend(),
                "SELECT COUNT(*) AS n FROM outbox WHERE status = 'sent'",
            ))
            .await
            .ok()
            .flatten();
        row.and_then(|r| r.try_get::<i64>("", "n").ok()) == Some(200)
    };
    assert!(eventually(sent).await, "all 200 sent");
    tokio::time::sleep(Duration::from_millis(300)).await;
    let messages = twilio.messages();
    let mut bodies: Vec<String> = messages.iter().map(|m| m.body().to_string()).collect();
    bodies.sort();
    bodies.dedup();
    assert_eq!(messages.len(), 200, "each sent once");
    assert_eq!(bodies.len(), 200, "and every one of them");
    let senders = db
        .query_all_raw(Statement::from_string(
            db.get_database_backend(),
            "SELECT DISTINCT claimed_by FROM outbox",
        ))
        .await
        .expect("senders");
    eprintln!("messages were sent by {} instance(s)", senders.len());
}
