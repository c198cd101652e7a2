//! Test harness: spawns the real app on 127.0.0.1 (port 0) against a fresh SQLite file or a fresh
//! PostgreSQL database, a fake Twilio that is a real HTTP server, and browser-like HTTP clients.
#![allow(dead_code)]

pub mod audit_check;
pub mod chromium;
pub mod fake_twilio;
pub mod oidc_provider;
pub mod passkeys;
pub mod secrets;
pub mod smtp;
pub mod tools;

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;

use outcomes::Clock;
use reqwest::StatusCode;
use reqwest::header::HeaderMap;
use rocket::fairing::AdHoc;
use sea_orm::{ConnectionTrait, Database};
use tokio::sync::oneshot;

pub use fake_twilio::FakeTwilio;

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

pub fn postgres_base_url() -> Option<String> {
    match std::env::var("TEST_POSTGRES_URL") {
        Ok(url) if !url.is_empty() => Some(url),
        _ => {
            assert!(
                std::env::var("REQUIRE_POSTGRES").as_deref() != Ok("1"),
                "REQUIRE_POSTGRES=1 but TEST_POSTGRES_URL is not set"
            );
            eprintln!("skipped: TEST_POSTGRES_URL is not set");
            None
        }
    }
}

/// A fresh database for one test; PostgreSQL ones are dropped when the test ends.
pub struct TestDatabase {
    pub url: String,
    admin_url: Option<String>,
    name: String,
}

impl TestDatabase {
    pub async fn create(backend: Backend, dir: &std::path::Path) -> Option<Self> {
        match backend {
            Backend::Sqlite => Some(Self {
                url: format!("sqlite://{}?mode=rwc", dir.join("test.sqlite").display()),
                admin_url: None,
                name: String::new(),
            }),
            Backend::Postgres => {
                let base = postgres_base_url()?;
                let name = format!("outcomes_t_{}", uuid_like());
                let admin = Database::connect(&base)
                    .await
                    .expect("connect to TEST_POSTGRES_URL");
                admin
                    .execute_unprepared(&format!("CREATE DATABASE {name}"))
                    .await
                    .expect("create test database");
                admin.close().await.ok();
                let mut url = url::Url::parse(&base).expect("TEST_POSTGRES_URL is a URL");
                url.set_path(&format!("/{name}"));
                Some(Self {
                    url: url.to_string(),
                    admin_url: Some(base),
                    name,
                })
            }
        }
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        let Some(admin_url) = self.admin_url.clone() else {
            return;
        };
        let name = self.name.clone();
        // Drop runs outside async: use a private runtime on its own thread.
        let _ = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .ok()?;
            runtime.block_on(async {
                let admin = Database::connect(&admin_url).await.ok()?;
                admin
                    .execute_unprepared(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                    .await
                    .ok()?;
                admin.close().await.ok()
            })
        })
        .join();
    }
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

/// What a request answered, read whole.
#[derive(Debug)]
pub struct Answer {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: String,
}

impl Answer {
    pub fn location(&self) -> Option<&str> {
        self.headers.get("location").and_then(|v| v.to_str().ok())
    }

    pub fn header(&self, name: &str) -> Option<String> {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    }

    pub fn set_cookies(&self) -> Vec<String> {
        self.headers
            .get_all("set-cookie")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .map(str::to_string)
            .collect()
    }

    /// Text of the element with this id (first match), tags stripped.
    pub fn element_text(&self, id: &str) -> Option<String> {
        let document = scraper::Html::parse_document(&self.body);
        let selector = scraper::Selector::parse(&format!("#{id}")).ok()?;
        document
            .select(&selector)
            .next()
            .map(|e| e.text().collect::<String>().trim().to_string())
    }

    pub fn csrf_token(&self) -> Option<String> {
        let document = scraper::Html::parse_document(&self.body);
        let selector = scraper::Selector::parse("input[name=csrf_token]").ok()?;
        document
            .select(&selector)
            .next()
            .and_then(|e| e.value().attr("value"))
            .map(str::to_string)
    }
}

/// A browser-like client: keeps cookies, never follows redirects, sends one User-Agent.
#[derive(Clone)]
pub struct Browser {
    pub base: String,
    pub client: reqwest::Client,
    pub jar: Arc<reqwest::cookie::Jar>,
}

impl Browser {
    pub fn new(base: &str, agent: &str) -> Self {
        let jar = Arc::new(reqwest::cookie::Jar::default());
        let client = reqwest::Client::builder()
            .cookie_provider(jar.clone())
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(agent)
            .build()
            .expect("http client");
        Self {
            base: base.to_string(),
            client,
            jar,
        }
    }

    async fn read(response: reqwest::Response) -> Answer {
        let status = response.status();
        let headers = response.headers().clone();
        let body = response.text().await.unwrap_or_default();
        Answer {
            status,
            headers,
            body,
        }
    }

    pub async fn get(&self, path: &str) -> Answer {
        secrets::note_path(&self.base, path);
        let answer = Self::read(
            self.client
                .get(format!("{}{path}", self.base))
                .send()
                .await
                .expect("GET"),
        )
        .await;
        secrets::note_cookies(&self.base, &answer.headers);
        answer
    }

    pub async fn post(&self, path: &str, fields: &[(&str, &str)]) -> Answer {
        secrets::note_path(&self.base, path);
        secrets::note_fields(&self.base, fields);
        let answer = Self::read(
            self.client
                .post(format!("{}{path}", self.base))
                .form(fields)
                .send()
                .await
                .expect("POST"),
        )
        .await;
        secrets::note_cookies(&self.base, &answer.headers);
        answer
    }

    /// Opens `page`, takes its CSRF token, and posts `fields` to `action`.
    pub async fn submit(&self, page: &str, action: &str, fields: &[(&str, &str)]) -> Answer {
        let token = self
            .get(page)
            .await
            .csrf_token()
            .unwrap_or_else(|| panic!("{page} has a CSRF token"));
        let mut all: Vec<(&str, &str)> = vec![("csrf_token", token.as_str())];
        all.extend_from_slice(fields);
        self.post(action, &all).await
    }

    pub async fn login(&self, user_id: &str, password: &str) -> Answer {
        self.submit(
            "/login",
            "/login",
            &[("user_id", user_id), ("password", password)],
        )
        .await
    }

    /// The value of a cookie as this browser would send it to the app.
    pub fn cookie(&self, name: &str) -> Option<String> {
        use reqwest::cookie::CookieStore;
        let url = self.base.parse().ok()?;
        let header = self.jar.cookies(&url)?;
        let text = header.to_str().ok()?.to_string();
        text.split("; ")
            .filter_map(|pair| pair.split_once('='))
            .find(|(k, _)| *k == name)
            .map(|(_, v)| v.to_string())
    }

    /// Puts a cookie into this browser's jar (copying a cookie from another browser).
    pub fn set_cookie(&self, name: &str, value: &str) {
        if let Ok(url) = self.base.parse::<reqwest::Url>() {
            self.jar.add_cookie_str(&format!("{name}={value}; Path=/"), &url);
        }
    }

    /// The CSRF token of a page (for posting to an action without re-opening its form).
    pub async fn csrf_from(&self, page: &str) -> String {
        self.get(page).await.csrf_token().unwrap_or_default()
    }
}

/// Creates a staff member through `/staff/new` as `manager`; returns their id.
pub async fn create_staff(
    manager: &Browser,
    role: &str,
    login: &str,
    phone: &str,
    supervisor_id: Option<i32>,
) -> i32 {
    let supervisor = supervisor_id.map(|i| i.to_string()).unwrap_or_default();
    let answer = manager
        .submit(
            "/staff/new",
            "/staff/new",
            &[
                ("full_name", &format!("Staff {login}")),
                ("user_id", login),
                ("password", STRONG_PASSWORD),
                ("role", role),
                ("phone", phone),
                ("email", &format!("{login}@example.com")),
                ("supervisor_id", &supervisor),
            ],
        )
        .await;
    assert_eq!(
        answer.status,
        StatusCode::SEE_OTHER,
        "create staff failed: {}",
        answer.body
    );
    id_from_location(answer.location().unwrap_or_default())
}

/// Creates a client through `/clients/new`; returns (id, user ID, password).
pub async fn create_client(staff: &Browser, provider_id: Option<i32>, phone: &str) -> (i32, String, String) {
    let provider = provider_id.map(|i| i.to_string()).unwrap_or_default();
    let answer = staff
        .submit(
            "/clients/new",
            "/clients/new",
            &[
                ("first_name", "Casey"),
                ("last_name", "Client"),
                ("age_group", "adult"),
                ("phone", phone),
                ("email", ""),
                ("provider_id", &provider),
            ],
        )
        .await;
    assert_eq!(
        answer.status,
        StatusCode::OK,
        "create client failed: {}",
        answer.body
    );
    let login = answer.element_text("client-user-id").expect("user ID shown");
    let password = answer.element_text("client-password").expect("password shown");
    secrets::note(&staff.base, &password);
    let document = scraper::Html::parse_document(&answer.body);
    let selector = scraper::Selector::parse("a[href^='/clients/']").expect("selector");
    let id = document
        .select(&selector)
        .filter_map(|a| a.value().attr("href"))
        .find_map(|href| href.trim_start_matches("/clients/").parse::<i32>().ok())
        .expect("link to the client page");
    (id, login, password)
}

pub fn id_from_location(location: &str) -> i32 {
    location
        .trim_start_matches("/staff/")
        .trim_start_matches("/clients/")
        .split(['?', '/'])
        .next()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("no id in {location}"))
}

/// Counts rows of a table straight from the database (for "nothing was saved").
pub async fn count_rows(app: &TestApp, table: &str) -> i64 {
    let db = app.db().await;
    let backend = db.get_database_backend();
    let row = db
        .query_one_raw(sea_orm::Statement::from_string(
            backend,
            format!("SELECT COUNT(*) AS n FROM {table}"),
        ))
        .await
        .expect("count query")
        .expect("a row");
    row.try_get::<i64>("", "n").expect("count")
}

pub fn form_errors(answer: &Answer) -> HashMap<String, String> {
    let document = scraper::Html::parse_document(&answer.body);
    let selector = scraper::Selector::parse("p.error[id^='e-']").expect("selector");
    document
        .select(&selector)
        .filter_map(|e| {
            let id = e.value().attr("id")?.trim_start_matches("e-").to_string();
            Some((id, e.text().collect::<String>()))
        })
        .collect()
}

/// Posts the whole Options form as the owner (all measures on, default thresholds).
pub async fn save_options(
    owner: &Browser,
    staff_two_factor: bool,
    client_two_factor: bool,
    device_days: &str,
    idle_minutes: &str,
) -> Answer {
    let flag = |on: bool| if on { "on" } else { "" };
    let mut fields = vec![
        ("staff_two_factor", flag(staff_two_factor)),
        ("client_two_factor", flag(client_two_factor)),
        ("device_days", device_days),
        ("idle_minutes", idle_minutes),
        ("reliable_change", "5"),
        ("alliance_cutoff", "36"),
        ("alliance_drop", "1"),
    ];
    for measure in ["ors", "cors", "srs", "csrs", "phq9", "gad7"] {
        fields.push(("measures", measure));
    }
    owner.submit("/options", "/options", &fields).await
}

/// The owner switches on "Require an authenticator app for staff" (with staff two-factor).
pub async fn require_app_for_staff(owner: &Browser) {
    let answer = owner
        .submit(
            "/options",
            "/options",
            &[
                ("staff_two_factor", "on"),
                ("staff_require_authenticator", "on"),
                ("device_days", "365"),
                ("idle_minutes", "15"),
                ("reliable_change", "5"),
                ("alliance_cutoff", "36"),
                ("alliance_drop", "1"),
                ("measures", "ors"),
                ("measures", "srs"),
            ],
        )
        .await;
    assert_eq!(
        answer.status,
        StatusCode::SEE_OTHER,
        "options saved: {}",
        answer.body
    );
}

/// The tests' own TOTP, independent of the app's, to compute codes from a secret a page shows.
/// RFC 6238 with SHA-1 and 6 digits for the 30-second step containing `unix_seconds`.
pub fn totp_at(secret: &[u8], unix_seconds: i64) -> String {
    let counter = (unix_seconds.div_euclid(30) as u64).to_be_bytes();
    use hmac::Mac;
    let mut mac = hmac::Hmac::<sha1::Sha1>::new_from_slice(secret).expect("any key length");
    mac.update(&counter);
    let digest = mac.finalize().into_bytes();
    let offset = usize::from(digest[19] & 0x0f);
    let binary = u32::from_be_bytes([
        digest[offset],
        digest[offset + 1],
        digest[offset + 2],
        digest[offset + 3],
    ]) & 0x7fff_ffff;
    format!("{:06}", binary % 1_000_000)
}

/// RFC 4648 base32 without padding, as authenticator apps read it.
pub fn base32_decode(text: &str) -> Vec<u8> {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    let mut bits: u64 = 0;
    let mut count = 0;
    let mut out = Vec::new();
    for c in text.bytes().filter(|c| !c.is_ascii_whitespace() && *c != b'=') {
        let value = ALPHABET
            .iter()
            .position(|a| *a == c.to_ascii_uppercase())
            .expect("base32 letter") as u64;
        bits = (bits << 5) | value;
        count += 5;
        if count >= 8 {
            count -= 8;
            out.push((bits >> count) as u8);
        }
    }
    out
}

/// An attribute of the first element matching `css`.
pub fn attr(answer: &Answer, css: &str, name: &str) -> Option<String> {
    let document = scraper::Html::parse_document(&answer.body);
    let selector = scraper::Selector::parse(css).ok()?;
    document
        .select(&selector)
        .next()
        .and_then(|e| e.value().attr(name))
        .map(str::to_string)
}
