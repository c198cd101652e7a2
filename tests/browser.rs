//! End-to-end in a real headless Chromium (via chromedriver): a provider registers a browser with
//! a texted code, and that browser then signs in again with only the password.

#[path = "common/mod.rs"]
mod common;

use std::net::TcpListener;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use reqwest::StatusCode;
use thirtyfour::ChromeCapabilities;
use thirtyfour::prelude::*;

use common::{Backend, STRONG_PASSWORD, TestApp, create_staff};

const CHROMIUM: &str = "/usr/bin/chromium";
const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
/// How long any one step may take before the test gives up (a cold Chromium start is the slowest).
const WAIT: Duration = Duration::from_secs(10);
const POLL: Duration = Duration::from_millis(50);
const PROVIDER_PHONE: &str = "+14155552671";

/// A chromedriver child process on a free port; killed on drop, so a failing test leaves none.
struct Chromedriver {
    child: Child,
    url: String,
}

impl Chromedriver {
    async fn start() -> Self {
        // Let the OS pick a free port, then hand it to chromedriver. The short gap between
        // dropping the listener and chromedriver binding it is an accepted race.
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|listener| listener.local_addr())
            .expect("a free local port for chromedriver")
            .port();
        let child = Command::new(CHROMEDRIVER)
            .arg(format!("--port={port}"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start chromedriver");
        let driver = Self {
            child,
            url: format!("http://127.0.0.1:{port}"),
        };
        driver.wait_until_ready().await;
        driver
    }

    /// Polls `/status` rather than sleeping: chromedriver is ready when it says so.
    async fn wait_until_ready(&self) {
        let client = reqwest::Client::new();
        let deadline = Instant::now() + WAIT;
        loop {
            let ready = client
                .get(format!("{}/status", self.url))
                .timeout(Duration::from_secs(1))
                .send()
                .await
                .is_ok_and(|response| response.status().is_success());
            if ready {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "chromedriver did not answer on {} within {WAIT:?}",
                self.url
            );
            tokio::time::sleep(POLL).await;
        }
    }
}

impl Drop for Chromedriver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Whether the browser tools exist; without them the test is skipped unless `REQUIRE_BROWSER=1`.
fn browser_available() -> bool {
    let missing: Vec<&str> = [CHROMIUM, CHROMEDRIVER]
        .into_iter()
        .filter(|path| !Path::new(path).exists())
        .collect();
    if missing.is_empty() {
        return true;
    }
    let what = missing.join(" and ");
    if std::env::var("REQUIRE_BROWSER").as_deref() == Ok("1") {
        panic!("REQUIRE_BROWSER=1 but {what} is not installed");
    }
    eprintln!("skipped: {what} is not installed (set REQUIRE_BROWSER=1 to fail instead)");
    false
}

fn chrome_capabilities(profile: &Path) -> WebDriverResult<ChromeCapabilities> {
    let mut caps = DesiredCapabilities::chrome();
    caps.set_binary(CHROMIUM)?;
    for arg in [
        "--headless=new",
        // Containers and CI runners usually cannot give Chromium its sandbox or a big /dev/shm.
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        // Keep all traffic on 127.0.0.1: no update checks, sync, or QUIC probes.
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        "--disable-quic",
    ] {
        caps.add_arg(arg)?;
    }
    // A fresh profile, so no cookie from an earlier run can register this browser.
    caps.add_arg(&format!("--user-data-dir={}", profile.display()))?;
    Ok(caps)
}

/// Waits until the page's path is one of `wanted`, and returns it (with the query, if any).
async fn wait_for_path(driver: &WebDriver, wanted: &[&str]) -> WebDriverResult<String> {
    let deadline = Instant::now() + WAIT;
    loop {
        let url = driver.current_url().await?;
        if wanted.contains(&url.path()) {
            return Ok(match url.query() {
                Some(query) => format!("{}?{query}", url.path()),
                None => url.path().to_string(),
            });
        }
        if Instant::now() >= deadline {
            let source = driver.source().await.unwrap_or_default();
            panic!("expected one of {wanted:?} within {WAIT:?}, but the browser is at {url}:\n{source}");
        }
        tokio::time::sleep(POLL).await;
    }
}

/// Waits until an element matching `css` is on the page.
async fn wait_for(driver: &WebDriver, css: &str) -> WebDriverResult<WebElement> {
    driver.query(By::Css(css)).wait(WAIT, POLL).first().await
}

/// Fills in the sign-in form of a freshly loaded `/login` page and submits it.
async fn sign_in(driver: &WebDriver, user_id: &str, password: &str) -> WebDriverResult<()> {
    wait_for(driver, "#f-user_id").await?.send_keys(user_id).await?;
    wait_for(driver, "#f-password").await?.send_keys(password).await?;
    wait_for(driver, "form[action='/login'] button[type=submit]")
        .await?
        .click()
        .await
}

/// The texted code; polled because the app may answer the browser before the fake has logged it.
async fn texted_code(app: &TestApp) -> String {
    let deadline = Instant::now() + WAIT;
    loop {
        if let Some(code) = app.twilio.last_code_to(PROVIDER_PHONE) {
            return code;
        }
        assert!(
            Instant::now() < deadline,
            "no code was texted to {PROVIDER_PHONE} within {WAIT:?}"
        );
        tokio::time::sleep(POLL).await;
    }
}

/// The browser part of the test, run inside `run_and_quit` so Chromium is closed even on a panic.
async fn register_then_sign_in_again(
    driver: WebDriver,
    app: &TestApp,
    provider_id: i32,
) -> WebDriverResult<()> {
    // First sign-in from this browser: the password is not enough, a code is texted.
    driver.goto(format!("{}/login", app.base)).await?;
    sign_in(&driver, "pat", STRONG_PASSWORD).await?;
    let path = wait_for_path(&driver, &["/login/verify", "/dashboard"]).await?;
    assert_eq!(path, "/login/verify", "a new browser must be asked for a code");
    let hint = wait_for(&driver, "#phone-hint").await?.text().await?;
    assert_eq!(hint, "•••• •••• 2671", "the code page shows the masked phone");
    let code = texted_code(app).await;
    assert_eq!(app.twilio.count(), 1, "exactly one text was sent");

    // The right code signs in and registers this browser.
    wait_for(&driver, "#f-code").await?.send_keys(&code).await?;
    wait_for(&driver, "form[action='/login/verify'] button[type=submit]")
        .await?
        .click()
        .await?;
    let path = wait_for_path(&driver, &["/dashboard"]).await?;
    assert_eq!(path, "/dashboard");
    let heading = wait_for(&driver, "main h1").await?.text().await?;
    assert!(
        heading.contains("Dashboard"),
        "the dashboard is shown, got heading {heading:?}"
    );
    // The registration lives in a cookie; name it in the failure rather than only "asked again".
    let device_cookie = format!("outcomes_device_{provider_id}");
    driver
        .get_named_cookie(device_cookie.as_str())
        .await
        .unwrap_or_else(|e| panic!("the browser holds {device_cookie} after the code: {e}"));

    // Sign out through the header's button.
    wait_for(&driver, "form[action='/logout'] button")
        .await?
        .click()
        .await?;
    let path = wait_for_path(&driver, &["/login"]).await?;
    assert_eq!(path, "/login?signed_out=true");

    // Same browser, password only: no code page on the way and no new text.
    sign_in(&driver, "pat", STRONG_PASSWORD).await?;
    let path = wait_for_path(&driver, &["/login/verify", "/dashboard"]).await?;
    assert_eq!(
        path, "/dashboard",
        "a registered browser must not be asked for a code"
    );
    assert_eq!(app.twilio.count(), 1, "no second text was sent");
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_provider_registers_a_browser_with_a_texted_code_and_then_signs_in_without_one() {
    if !browser_available() {
        return;
    }
    let started = Instant::now();
    let app = TestApp::spawn(Backend::Sqlite).await.expect("sqlite app");

    // The practice, staff two-factor switched on, and a provider with a phone: set up over HTTP,
    // since only the provider's sign-in is under test.
    let owner = app.signup("pro", "olivia", "").await;
    let login = owner.login("olivia", STRONG_PASSWORD).await;
    assert_eq!(login.status, StatusCode::SEE_OTHER, "owner signs in");
    let options = common::save_options(&owner, true, false, "365", "15").await;
    assert_eq!(
        options.status,
        StatusCode::SEE_OTHER,
        "options saved: {}",
        options.body
    );
    let provider_id = create_staff(&owner, "provider", "pat", "+1 415 555 2671", None).await;
    assert_eq!(app.twilio.count(), 0, "no text before the provider signs in");

    // Declared before the driver so they are dropped after it: Chromium quits first, then
    // chromedriver is killed, then its profile is deleted.
    let profile = tempfile::tempdir().expect("temp dir for the Chromium profile");
    let chromedriver = Chromedriver::start().await;
    let caps = chrome_capabilities(profile.path()).expect("chrome capabilities");
    let driver = WebDriver::new(chromedriver.url.as_str(), caps)
        .await
        .expect("chromedriver starts a headless Chromium session");
    let outcome = driver
        .run_and_quit(|driver| register_then_sign_in_again(driver, &app, provider_id))
        .await;
    if let Err(error) = outcome {
        panic!("{error}");
    }
    drop(chromedriver);
    println!("browser test took {:?}", started.elapsed());
}
