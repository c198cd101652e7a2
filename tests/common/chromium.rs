//! A headless Chromium driven through Debian's chromedriver (WebDriver), for the page checks:
//! started on a free port, with a fresh profile, killed when dropped. `REQUIRE_BROWSER=1`
//! turns a missing browser into a failure instead of a skip.

use std::net::TcpListener;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use thirtyfour::prelude::*;

pub const CHROMIUM: &str = "/usr/bin/chromium";
pub const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
pub const WAIT: Duration = Duration::from_secs(10);
pub const POLL: Duration = Duration::from_millis(50);

/// Whether the browser tools exist; without them a test is skipped unless `REQUIRE_BROWSER=1`.
pub fn available() -> bool {
    let missing: Vec<&str> = [CHROMIUM, CHROMEDRIVER]
        .into_iter()
        .filter(|path| !Path::new(path).exists())
        .collect();
    if missing.is_empty() {
        return true;
    }
    let what = missing.join(" and ");
    assert!(
        std::env::var("REQUIRE_BROWSER").as_deref() != Ok("1"),
        "REQUIRE_BROWSER=1 but {what} is not installed"
    );
    eprintln!("skipped: {what} is not installed (set REQUIRE_BROWSER=1 to fail instead)");
    false
}

/// chromedriver, its Chromium session and the session's profile; all gone on drop.
pub struct Chromium {
    pub driver: Option<WebDriver>,
    child: Child,
    _profile: tempfile::TempDir,
}

impl Chromium {
    pub async fn start() -> Self {
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port for chromedriver")
            .port();
        let child = Command::new(CHROMEDRIVER)
            .arg(format!("--port={port}"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start chromedriver");
        let url = format!("http://127.0.0.1:{port}");
        let client = reqwest::Client::new();
        let deadline = Instant::now() + WAIT;
        while !client
            .get(format!("{url}/status"))
            .timeout(Duration::from_secs(1))
            .send()
            .await
            .is_ok_and(|r| r.status().is_success())
        {
            assert!(
                Instant::now() < deadline,
                "chromedriver did not answer within {WAIT:?}"
            );
            tokio::time::sleep(POLL).await;
        }
        let profile = tempfile::tempdir().expect("a profile folder");
        let mut caps = DesiredCapabilities::chrome();
        caps.set_binary(CHROMIUM).expect("binary");
        for arg in [
            "--headless=new",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            "--disable-quic",
            "--hide-scrollbars",
        ] {
            caps.add_arg(arg).expect("argument");
        }
        caps.add_arg(&format!("--user-data-dir={}", profile.path().display()))
            .expect("profile");
        let driver = WebDriver::new(url.as_str(), caps)
            .await
            .expect("chromedriver starts Chromium");
        Self {
            driver: Some(driver),
            child,
            _profile: profile,
        }
    }

    pub fn driver(&self) -> &WebDriver {
        self.driver.as_ref().expect("a running session")
    }

    /// Ends the browser session; call before the test ends (a drop cannot wait for it).
    pub async fn quit(mut self) {
        if let Some(driver) = self.driver.take() {
            let _ = driver.quit().await;
        }
    }
}

impl Drop for Chromium {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Fills in the sign-in form at `base/login` and waits to land somewhere else.
pub async fn sign_in(driver: &WebDriver, base: &str, user_id: &str, password: &str) -> WebDriverResult<()> {
    driver.goto(format!("{base}/login")).await?;
    driver
        .query(By::Id("f-user_id"))
        .first()
        .await?
        .send_keys(user_id)
        .await?;
    driver
        .query(By::Id("f-password"))
        .first()
        .await?
        .send_keys(password)
        .await?;
    driver
        .query(By::Css("form[action='/login'] button[type=submit]"))
        .first()
        .await?
        .click()
        .await?;
    let deadline = Instant::now() + WAIT;
    while driver.current_url().await?.path() == "/login" {
        assert!(Instant::now() < deadline, "{user_id} did not get past /login");
        tokio::time::sleep(POLL).await;
    }
    Ok(())
}

/// Signs out with the header's button.
pub async fn sign_out(driver: &WebDriver) -> WebDriverResult<()> {
    driver
        .query(By::Css("form[action='/logout'] button"))
        .first()
        .await?
        .click()
        .await?;
    let deadline = Instant::now() + WAIT;
    while driver.current_url().await?.path() != "/login" {
        assert!(Instant::now() < deadline, "not signed out");
        tokio::time::sleep(POLL).await;
    }
    Ok(())
}
