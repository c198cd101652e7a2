//! The built `outcomes` binary run as an operator would (SPEC §5): from an empty folder, with
//! nothing beside it, through its command line.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use reqwest::StatusCode;

use crate::common::{Browser, CHROME_UA, STRONG_PASSWORD};

pub const BINARY: &str = env!("CARGO_BIN_EXE_outcomes");

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .map(|address| address.port())
        .expect("a free port")
}

/// `outcomes` with `args` in `dir`, with no settings from the environment but `env`.
pub fn command(dir: &Path, args: &[&str], env: &[(&str, String)]) -> Command {
    let mut command = Command::new(BINARY);
    command.current_dir(dir).args(args);
    for (key, _) in std::env::vars() {
        if key.starts_with("ROCKET_") || key == "DATABASE_URL" {
            command.env_remove(key);
        }
    }
    command.env("ROCKET_CLI_COLORS", "false");
    for (key, value) in env {
        command.env(key, value);
    }
    command
}

/// Runs `outcomes args…` to its end (bounded by the command itself).
pub fn run(dir: &Path, args: &[&str], env: &[(&str, String)]) -> Output {
    command(dir, args, env)
        .stdin(Stdio::null())
        .output()
        .expect("the binary runs")
}

/// A served binary; killed when dropped.
pub struct Served {
    pub child: Child,
    pub base: String,
    pub log: PathBuf,
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Served {
    /// Starts `outcomes args…` in `dir` on a free port; waits (at most 60 s) for `/healthz`.
    pub async fn start(dir: &Path, args: &[&str], env: &[(&str, String)]) -> Self {
        let port = free_port();
        let log = dir.join(format!("outcomes-{port}.log"));
        let log_file = std::fs::File::create(&log).expect("log file");
        let mut env = env.to_vec();
        env.push(("ROCKET_PORT", port.to_string()));
        env.push(("ROCKET_ADDRESS", "127.0.0.1".to_string()));
        env.push(("ROCKET_PUBLIC_URL", format!("http://localhost:{port}")));
        let child = command(dir, args, &env)
            .stdin(Stdio::null())
            .stdout(log_file.try_clone().expect("log file"))
            .stderr(log_file)
            .spawn()
            .expect("the binary starts");
        let served = Self {
            child,
            base: format!("http://127.0.0.1:{port}"),
            log,
        };
        let client = reqwest::Client::new();
        let started = Instant::now();
        loop {
            let answer = client.get(format!("{}/healthz", served.base)).send().await;
            if answer.is_ok_and(|a| a.status() == StatusCode::OK) {
                return served;
            }
            assert!(
                started.elapsed() < Duration::from_mins(1),
                "the binary did not answer within 60 s:\n{}",
                served.log_text()
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    pub fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    pub fn browser(&self) -> Browser {
        Browser::new(&self.base, CHROME_UA)
    }
}

/// Signs up a `pro` practice (no second step by default) and signs its owner in.
pub async fn sign_up_and_in(browser: &Browser, login: &str) {
    let answer = browser
        .submit(
            "/signup",
            "/signup",
            &[
                ("organization", "Harbor Counseling"),
                ("plan", "pro"),
                ("full_name", "Olivia Owner"),
                ("user_id", login),
                ("password", STRONG_PASSWORD),
                ("email", "owner@example.com"),
                ("phone", ""),
            ],
        )
        .await;
    assert_eq!(answer.status, StatusCode::SEE_OTHER, "signup: {}", answer.body);
    let answer = browser.login(login, STRONG_PASSWORD).await;
    assert_eq!(answer.status, StatusCode::SEE_OTHER, "login: {}", answer.body);
    assert_eq!(answer.location(), Some("/"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_binary_serves_from_an_empty_folder_and_a_person_signs_in() {
    let dir = tempfile::tempdir().expect("temp dir");
    let served = Served::start(dir.path(), &[], &[]).await;
    let browser = served.browser();
    sign_up_and_in(&browser, "olivia").await;
    let dashboard = browser.get("/dashboard").await;
    assert_eq!(dashboard.status, StatusCode::OK, "{}", served.log_text());
    assert!(dashboard.body.contains("/static/site.css"));
    assert!(
        dashboard
            .header("content-type")
            .unwrap_or_default()
            .starts_with("text/html"),
        "pages are HTML"
    );
    // Everything it made is under data/ in that folder, and nothing came from the checkout.
    assert!(dir.path().join("data/outcomes.sqlite").is_file());
    assert!(dir.path().join("data/secret_key").is_file());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn static_files_come_from_the_binary_with_their_type_an_etag_and_a_304() {
    let dir = tempfile::tempdir().expect("temp dir");
    let served = Served::start(dir.path(), &[], &[]).await;
    let browser = served.browser();
    for (path, kind, needle) in [
        ("/static/site.css", "text/css", "{"),
        ("/static/passkeys.js", "text/javascript", "function"),
    ] {
        let answer = browser.get(path).await;
        assert_eq!(answer.status, StatusCode::OK, "{path}");
        assert!(
            answer
                .header("content-type")
                .unwrap_or_default()
                .starts_with(kind),
            "{path}: {:?}",
            answer.header("content-type")
        );
        assert!(answer.body.contains(needle));
        let expected = std::fs::read_to_string(
            Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("public")
                .join(path.trim_start_matches("/static/")),
        )
        .expect("the source file");
        assert_eq!(answer.body, expected, "{path} is the file of public/");
        let cache = answer.header("cache-control").unwrap_or_default();
        assert!(
            cache.contains("max-age=3600") && !cache.contains("no-store"),
            "{cache}"
        );
        assert_eq!(
            answer.header("x-content-type-options").as_deref(),
            Some("nosniff")
        );
        let etag = answer.header("etag").expect("an ETag");
        assert!(
            etag.starts_with('"') && etag.ends_with('"') && etag.len() > 10,
            "{etag}"
        );

        let again = browser
            .client
            .get(format!("{}{path}", served.base))
            .header("If-None-Match", &etag)
            .send()
            .await
            .expect("GET");
        assert_eq!(again.status(), StatusCode::NOT_MODIFIED, "{path}");
        assert_eq!(
            again.headers().get("etag").and_then(|v| v.to_str().ok()),
            Some(etag.as_str())
        );
        assert!(again.bytes().await.expect("body").is_empty());

        let stale = browser
            .client
            .get(format!("{}{path}", served.base))
            .header("If-None-Match", "\"0000\"")
            .send()
            .await
            .expect("GET");
        assert_eq!(stale.status(), StatusCode::OK, "another version gets the file");
    }
    for missing in ["/static/nothing.css", "/static/../Cargo.toml", "/static/"] {
        let answer = browser.get(missing).await;
        assert_eq!(answer.status, StatusCode::NOT_FOUND, "{missing}");
    }
}
