//! Test harness: spawns the real app on 127.0.0.1 (port 0) against a fresh SQLite file or a fresh
//! PostgreSQL database, a fake Twilio that is a real HTTP server, and browser-like HTTP clients.
#![allow(dead_code)]

pub mod audit_check;
mod browser;
pub mod chromium;
mod database;
pub mod fake_twilio;
mod forms;
pub mod oidc_provider;
pub mod passkeys;
pub mod secrets;
pub mod smtp;
pub mod tools;
mod totp;

use std::path::PathBuf;
use std::sync::Arc;

use outcomes::Clock;
use reqwest::StatusCode;
use rocket::fairing::AdHoc;
use sea_orm::Database;
use tokio::sync::oneshot;

// Each test crate uses its own part of the harness.
#[allow(unused_imports)]
pub use browser::{Answer, Browser};
#[allow(unused_imports)]
pub use database::{TestDatabase, postgres_base_url};
pub use fake_twilio::FakeTwilio;
#[allow(unused_imports)]
pub use forms::{
    attr, count_rows, create_client, create_staff, form_errors, id_from_location, require_app_for_staff,
    save_options,
};
#[allow(unused_imports)]
pub use totp::{base32_decode, totp_at};

/// Fixed so tests can run two apps that share one key (several instances).
pub const SECRET_KEY: &str =
    "hPRYyVRiMyxpw5sBB1XeCMN1kFsDCqKvBi2QJxBVHQk8ZYzV5dOI+ev3M5mp3uYi2EOgD2JU8qMDW+4HUU4IFg==";
pub const CHROME_UA: &str = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36";
pub const FIREFOX_UA: &str = "Mozilla/5.0 (X11; Linux x86_64; rv:121.0) Gecko/20100101 Firefox/121.0";
pub const STRONG_PASSWORD: &str = "quiet harbor lantern 42 violet";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// Runs each listed `async fn name(app: TestApp)` once on SQLite and once on PostgreSQL.
#[macro_export]
macro_rules! db_tests {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    let app = $crate::common::TestApp::spawn($crate::common::Backend::Sqlite).await.expect("sqlite app");
                    let audit = app.audit_check();
                    let secrets = app.secret_check();
                    super::$name(app).await;
                    audit.run().await;
                    secrets.run();
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    if let Some(app) = $crate::common::TestApp::spawn($crate::common::Backend::Postgres).await {
                        let audit = app.audit_check();
                        let secrets = app.secret_check();
                        super::$name(app).await;
                        audit.run().await;
                        secrets.run();
                    }
                }
            )*
        }
    };
}

pub fn uuid_like() -> String {
    let bytes: [u8; 8] = rand_bytes();
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn rand_bytes<const N: usize>() -> [u8; N] {
    let mut out = [0u8; N];
    for chunk in out.chunks_mut(16) {
        let id = uuid::Uuid::new_v4();
        let n = chunk.len();
        chunk.copy_from_slice(&id.as_bytes()[..n]);
    }
    out
}

/// One running app and what it talks to.
pub struct TestApp {
    pub base: String,
    /// What the app believes its address is (links, WebOTP, the passkey origin).
    pub public_url: String,
    pub backend: Backend,
    pub clock: Clock,
    pub queries: outcomes::QueryCounter,
    pub twilio: FakeTwilio,
    pub data_dir: PathBuf,
    pub db_url: String,
    /// Where this app's part of the process's log begins (`secrets`).
    pub log_from: u64,
    shutdown: rocket::Shutdown,
    temp_dir: Arc<tempfile::TempDir>,
    database: Arc<TestDatabase>,
}

pub struct AppOptions {
    pub public_url: Option<String>,
    pub extra: Vec<(&'static str, String)>,
}

impl TestApp {
    pub async fn spawn(backend: Backend) -> Option<Self> {
        Self::spawn_with(
            backend,
            AppOptions {
                public_url: None,
                extra: Vec::new(),
            },
        )
        .await
    }

    /// An app whose `public_url` is `http://localhost:<its port>`: what passkeys need, since an
    /// IP address is never a relying party ID.
    pub async fn spawn_localhost(backend: Backend) -> Option<Self> {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|listener| listener.local_addr())
            .map(|address| address.port())
            .expect("a free port");
        Self::spawn_with(
            backend,
            AppOptions {
                public_url: Some(format!("http://localhost:{port}")),
                extra: vec![("port", port.to_string())],
            },
        )
        .await
    }

    pub async fn spawn_with(backend: Backend, options: AppOptions) -> Option<Self> {
        secrets::log_file();
        let log_from = secrets::log_len();
        let dir = tempfile::tempdir().expect("temp dir");
        let db = Arc::new(TestDatabase::create(backend, dir.path()).await?);
        let twilio = FakeTwilio::start().await;
        let public_url = options
            .public_url
            .clone()
            .unwrap_or_else(|| "http://127.0.0.1:8000".into());
        let mut figment = rocket::Config::figment()
            .merge(("address", "127.0.0.1"))
            .merge(("port", 0))
            // Errors only: an unexpected 500 then shows its cause in the failing test's output.
            .merge(("log_level", "critical"))
            .merge(("cli_colors", false))
            .merge(("data_dir", dir.path().display().to_string()))
            .merge(("database_url", db.url.clone()))
            .merge(("secret_key", SECRET_KEY))
            .merge(("public_url", public_url.clone()))
            .merge(("sms_provider", "twilio"))
            .merge(("twilio_api_base", twilio.base.clone()))
            .merge(("twilio_account_sid", fake_twilio::ACCOUNT_SID))
            .merge(("twilio_auth_token", fake_twilio::AUTH_TOKEN))
            .merge(("twilio_from", "+15005550006"))
            // The background worker looks for due messages, invitations and reminders often, so
            // tests that move the clock see them go within a fraction of a second.
            .merge(("outbox_poll_ms", 100));
        for (key, value) in options.extra {
            // Figment does not read numbers out of strings: the port goes in as one.
            if let ("port", Ok(port)) = (key, value.parse::<u16>()) {
                figment = figment.merge((key, port));
                continue;
            }
            figment = figment.merge((key, value));
        }
        let clock = Clock::default();
        let queries = outcomes::QueryCounter::default();
        let (port_tx, port_rx) = oneshot::channel();
        let port_tx = std::sync::Mutex::new(Some(port_tx));
        let rocket = outcomes::rocket_with_instruments(figment, clock.clone(), queries.clone()).attach(
            AdHoc::on_liftoff("port", move |r| {
                let port = r.config().port;
                Box::pin(async move {
                    if let Some(tx) = port_tx.lock().ok().and_then(|mut t| t.take()) {
                        let _ = tx.send(port);
                    }
                })
            }),
        );
        let ignited = rocket.ignite().await.expect("app ignites");
        let shutdown = ignited.shutdown();
        tokio::spawn(async move {
            let _ = ignited.launch().await;
        });
        let port = port_rx.await.expect("app reports its port");
        Some(Self {
            base: format!("http://127.0.0.1:{port}"),
            public_url,
            backend,
            clock,
            queries,
            twilio,
            data_dir: dir.path().to_path_buf(),
            db_url: db.url.clone(),
            log_from,
            shutdown,
            temp_dir: Arc::new(dir),
            database: db,
        })
    }

    /// Reads this app's audit rows once the test is over (see `audit_check`).
    pub fn audit_check(&self) -> audit_check::AuditCheck {
        audit_check::AuditCheck::new(self.database.clone(), self.temp_dir.clone())
    }

    /// Looks for this test's secrets in the log once the test is over (see `secrets`).
    pub fn secret_check(&self) -> secrets::SecretCheck {
        secrets::SecretCheck {
            base: self.base.clone(),
            from: self.log_from,
            twilio: self.twilio.clone(),
            data_dir: self.data_dir.clone(),
            _dir: self.temp_dir.clone(),
        }
    }

    /// A new browser (its own cookie jar) with a Chrome User-Agent.
    pub fn browser(&self) -> Browser {
        self.browser_with_agent(CHROME_UA)
    }

    pub fn browser_with_agent(&self, agent: &str) -> Browser {
        Browser::new(&self.base, agent)
    }

    /// Signs up a practice through `/signup`; returns its owner signed in.
    pub async fn signup(&self, plan: &str, owner_login: &str, phone: &str) -> Browser {
        let browser = self.browser();
        let response = browser
            .submit(
                "/signup",
                "/signup",
                &[
                    ("organization", "Harbor Counseling"),
                    ("plan", plan),
                    ("full_name", "Olivia Owner"),
                    ("user_id", owner_login),
                    ("password", STRONG_PASSWORD),
                    ("email", "owner@example.com"),
                    ("phone", phone),
                ],
            )
            .await;
        assert_eq!(
            response.status,
            StatusCode::SEE_OTHER,
            "signup failed: {}",
            response.body
        );
        browser
    }

    pub async fn db(&self) -> sea_orm::DatabaseConnection {
        Database::connect(&self.db_url)
            .await
            .expect("connect to the test database")
    }

    /// Moves the app's clock out of quiet hours if the test runs in them: from 21:00 to 08:00
    /// practice time (UTC for a new practice) a text sent on demand waits for the morning, and
    /// a test that reads its text at once calls this before anyone signs in (so that no
    /// session outlives the jump).
    pub fn skip_quiet_hours(&self) {
        let now = self.clock.now();
        if let Some(morning) = outcomes::domain::calendar::quiet_until(chrono_tz::UTC, now) {
            self.clock.advance(morning - now + 60 * 60);
        }
    }

    /// Fills the database with a demo practice of `clients` clients (`outcomes demo`) and
    /// returns its tag: its people sign in as `demo-owner-<tag>`, `demo-pro-<tag>-0`,
    /// `demo-c-<tag>-7`, ... with `outcomes::demo::DEMO_PASSWORD`.
    pub async fn demo_practice(&self, clients: usize) -> String {
        let summary = outcomes::demo::run(&self.db().await, outcomes::demo::DemoOptions { clients })
            .await
            .expect("demo practice");
        summary
            .split("Sign in as demo-owner-")
            .nth(1)
            .and_then(|rest| rest.split(' ').next())
            .expect("the demo's tag")
            .to_string()
    }

    pub fn mail_files(&self) -> Vec<String> {
        let dir = self.data_dir.join("mail");
        let mut out = Vec::new();
        if let Ok(entries) = std::fs::read_dir(dir) {
            for entry in entries.flatten() {
                if let Ok(text) = std::fs::read_to_string(entry.path()) {
                    out.push(text);
                }
            }
        }
        out
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        self.shutdown.clone().notify();
    }
}
