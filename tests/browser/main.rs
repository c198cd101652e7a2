//! End-to-end in a real headless Chromium (via chromedriver): a provider registers a browser with
//! a texted code, and that browser then signs in again with only the password; a client completes
//! the ORS with the sliders, and the provider sees the new point and flag; a provider sets up an
//! authenticator app from its QR page and signs in with it.

// A test or benchmark that cannot set up must stop loudly: unwrap, expect and panic are its
// assertions here, unlike on the service's request paths.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
// Helpers sit next to the step that needs them, and scores read back are exact to the decimal.
#![allow(clippy::items_after_statements, clippy::float_cmp)]
// Request bodies and reports are assembled as text.
#![allow(clippy::format_push_string, clippy::format_collect)]

#[path = "common/mod.rs"]
mod common;

use std::future::Future;
use std::net::TcpListener;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use reqwest::StatusCode;
use thirtyfour::ChromeCapabilities;
use thirtyfour::prelude::*;

use common::{Backend, STRONG_PASSWORD, TestApp, create_client, create_staff};

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
    assert!(
        std::env::var("REQUIRE_BROWSER").as_deref() != Ok("1"),
        "REQUIRE_BROWSER=1 but {what} is not installed"
    );
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

/// Signs out through the header's button and waits for the sign-in page.
async fn sign_out(driver: &WebDriver) -> WebDriverResult<()> {
    wait_for(driver, "form[action='/logout'] button")
        .await?
        .click()
        .await?;
    let path = wait_for_path(driver, &["/login"]).await?;
    assert_eq!(path, "/login?signed_out=true");
    Ok(())
}

/// Runs `steps` in a fresh headless Chromium with a fresh profile, and fails the test with the
/// WebDriver error if a step returns one. Chromium is quit even when a step panics.
async fn in_chromium<F, Fut>(steps: F)
where
    F: FnOnce(WebDriver) -> Fut,
    Fut: Future<Output = WebDriverResult<()>>,
{
    // Declared before the driver so they are dropped after it: Chromium quits first, then
    // chromedriver is killed, then its profile is deleted.
    let profile = tempfile::tempdir().expect("temp dir for the Chromium profile");
    let chromedriver = Chromedriver::start().await;
    let caps = chrome_capabilities(profile.path()).expect("chrome capabilities");
    let driver = WebDriver::new(chromedriver.url.as_str(), caps)
        .await
        .expect("chromedriver starts a headless Chromium session");
    if let Err(error) = driver.run_and_quit(steps).await {
        panic!("{error}");
    }
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
    // Its name is a keyed tag, never the person's id.
    let cookies: Vec<String> = driver
        .get_all_cookies()
        .await?
        .into_iter()
        .map(|c| c.name)
        .collect();
    let device_cookie = cookies
        .iter()
        .find(|name| name.starts_with("outcomes_device_"))
        .unwrap_or_else(|| panic!("the browser holds a device cookie after the code: {cookies:?}"));
    assert!(
        !device_cookie.ends_with(&format!("_{provider_id}")),
        "the cookie does not name the user id: {device_cookie}"
    );

    sign_out(&driver).await?;

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

    in_chromium(|driver| register_then_sign_in_again(driver, &app, provider_id)).await;
    println!("browser test took {:?}", started.elapsed());
}

/// How far each ORS slider is moved from 0 with ArrowRight (one press is 0.1): items 3.0, 2.5,
/// 3.5 and 3.2, distinct so a slider driving the wrong field shows, and a total of 12.2.
const ORS_PRESSES: [u32; 4] = [30, 25, 35, 32];
/// The practice's reliable change for the ORS, in tenths (the default, 5).
const RELIABLE_CHANGE_TENTHS: u32 = 50;
/// The published expected ORS at session 2 for an adult with intake 20.0, in tenths.
const EXPECTED_AT_SESSION_2_TENTHS: u32 = 231;

/// A score with one decimal ("3.2") in tenths, so totals add up without floating point.
fn tenths(text: &str) -> Option<u32> {
    let (whole, tenth) = text.split_once('.')?;
    if tenth.len() != 1 {
        return None;
    }
    Some(whole.parse::<u32>().ok()? * 10 + tenth.parse::<u32>().ok()?)
}

fn one_decimal(tenths: u32) -> String {
    format!("{}.{}", tenths / 10, tenths % 10)
}

/// The flag a session-2 score should get: green at or above the expected score, amber below it
/// by no more than the reliable change, red below that.
fn expected_flag(total_tenths: u32) -> &'static str {
    if total_tenths >= EXPECTED_AT_SESSION_2_TENTHS {
        "green"
    } else if total_tenths + RELIABLE_CHANGE_TENTHS >= EXPECTED_AT_SESSION_2_TENTHS {
        "amber"
    } else {
        "red"
    }
}

/// Polls an input's `value` until it is `wanted`; panics naming `what` and the last value.
async fn wait_for_value(element: &WebElement, wanted: &str, what: &str) -> WebDriverResult<()> {
    let deadline = Instant::now() + WAIT;
    loop {
        let value = element.value().await?.unwrap_or_default();
        if value == wanted {
            return Ok(());
        }
        assert!(
            Instant::now() < deadline,
            "{what}: expected {wanted:?} within {WAIT:?}, still {value:?}"
        );
        tokio::time::sleep(POLL).await;
    }
}

/// Runs a script that returns JSON and decodes it.
async fn script<T: serde::de::DeserializeOwned>(driver: &WebDriver, js: &str) -> WebDriverResult<T> {
    driver.execute(js, Vec::new()).await?.convert()
}

/// Moves one ORS slider with the keyboard only: focus, Home (to 0), then `presses` ArrowRight.
/// Fails unless the number field then shows `presses` tenths and the slider agrees.
async fn slide(driver: &WebDriver, item: usize, presses: u32) -> WebDriverResult<()> {
    let number_css = format!("#ors-item{item}");
    let slider_css = format!("input[type=range].vas-slider[data-for='ors-item{item}']");
    let number = wait_for(driver, &number_css).await?;
    assert_eq!(
        number.value().await?.unwrap_or_default(),
        "",
        "{number_css} starts empty"
    );
    let slider = driver
        .query(By::Css(slider_css.as_str()))
        .wait(WAIT, POLL)
        .first()
        .await
        .unwrap_or_else(|e| {
            panic!("vas.js added no {slider_css} within {WAIT:?} (script blocked or failed?): {e}")
        });
    slider.scroll_into_view().await?;
    slider.focus().await?;
    let mut keys = String::from(char::from(Key::Home));
    keys.extend((0..presses).map(|_| char::from(Key::Right)));
    driver.action_chain().send_keys(keys).perform().await?;
    let wanted = one_decimal(presses);
    let what = format!("{number_css} after Home and {presses} ArrowRight on its slider");
    wait_for_value(&number, &wanted, &what).await?;
    let slider_value = slider.value().await?.unwrap_or_default();
    assert_eq!(
        slider_value.parse::<f64>().ok(),
        wanted.parse::<f64>().ok(),
        "the slider for {number_css} shows {slider_value:?}, its field {wanted}"
    );
    Ok(())
}

/// The browser part: the client completes the ORS with the sliders, then the provider opens the
/// client's page in the same browser.
async fn client_rates_then_provider_checks(
    driver: WebDriver,
    app: &TestApp,
    client_id: i32,
    client_login: &str,
    client_password: &str,
) -> WebDriverResult<()> {
    driver.goto(format!("{}/login", app.base)).await?;
    sign_in(&driver, client_login, client_password).await?;
    let path = wait_for_path(&driver, &["/my", "/dashboard", "/login/verify"]).await?;
    assert_eq!(path, "/my", "a client lands on their measures");

    // Session 1 is complete on paper, so the ORS for session 2 is the pending measure.
    wait_for(&driver, "#pending-measures a[href='/my/measures/ors']")
        .await?
        .click()
        .await?;
    wait_for_path(&driver, &["/my/measures/ors"]).await?;

    // Only the sliders are touched; the number fields are read back to learn what was set.
    let mut total_tenths = 0;
    let mut values = Vec::new();
    for (index, presses) in ORS_PRESSES.into_iter().enumerate() {
        slide(&driver, index + 1, presses).await?;
    }
    for item in 1..=ORS_PRESSES.len() {
        let value = wait_for(&driver, &format!("#ors-item{item}"))
            .await?
            .value()
            .await?
            .unwrap_or_default();
        total_tenths +=
            tenths(&value).unwrap_or_else(|| panic!("#ors-item{item} holds one decimal, got {value:?}"));
        values.push(value);
    }
    let total = one_decimal(total_tenths);
    let flag = expected_flag(total_tenths);
    println!("ORS items {values:?}: total {total}, expected flag {flag}");
    assert_eq!(flag, "red", "the chosen presses are meant to give a red flag");

    wait_for(&driver, "#submit-measure").await?.click().await?;
    // Only "/my": the form's own path would match before the click's navigation has begun. A
    // refused answer stays on the form, and the wait then fails showing that page.
    let path = wait_for_path(&driver, &["/my"]).await?;
    assert_eq!(
        path,
        "/my?done=true",
        "the answers are accepted: {}",
        driver.source().await.unwrap_or_default()
    );
    let notice = wait_for(&driver, "p.notice").await?.text().await?;
    assert!(notice.contains("Thank you"), "thank-you notice, got {notice:?}");
    let ors_again = driver
        .find_all(By::Css("#pending-measures a[href='/my/measures/ors']"))
        .await?;
    assert!(ors_again.is_empty(), "the ORS is no longer pending");

    // The provider, in the same browser.
    sign_out(&driver).await?;
    sign_in(&driver, "pat", STRONG_PASSWORD).await?;
    let path = wait_for_path(&driver, &["/dashboard", "/login/verify"]).await?;
    assert_eq!(path, "/dashboard", "two-factor is off: no code page");
    let client_path = format!("/clients/{client_id}");
    driver.goto(format!("{}{client_path}", app.base)).await?;
    wait_for_path(&driver, &[client_path.as_str()]).await?;
    wait_for(&driver, "#progress-table").await?;

    let rows: Vec<Vec<String>> = script(
        &driver,
        "return Array.from(document.querySelectorAll('#progress-table tbody tr'))\
           .map(r => Array.from(r.cells).map(c => c.textContent.trim()));",
    )
    .await?;
    let row = |session: &str| {
        rows.iter()
            .find(|cells| cells.first().is_some_and(|c| c == session))
            .unwrap_or_else(|| panic!("#progress-table has a session {session} row: {rows:?}"))
    };
    assert_eq!(row("1").get(1), Some(&"20.0".to_string()), "intake: {rows:?}");
    assert_eq!(row("2").get(1), Some(&total), "session 2 ORS: {rows:?}");
    assert_eq!(
        row("2").get(2),
        Some(&one_decimal(EXPECTED_AT_SESSION_2_TENTHS)),
        "session 2 expected: {rows:?}"
    );

    let titles: Vec<String> = script(
        &driver,
        "return Array.from(document.querySelectorAll('svg[role=img] circle > title'))\
           .map(t => t.textContent);",
    )
    .await?;
    let point = format!("Session 2: ORS {total}");
    assert!(
        titles.contains(&point),
        "the graph has a point titled {point:?}; its point titles are {titles:?}"
    );

    let flag_element = wait_for(&driver, "#outcome-flag").await?;
    let class = flag_element.class_name().await?.unwrap_or_default();
    let text = flag_element.text().await?;
    assert_eq!(class, format!("flag-{flag}"), "outcome flag: {text}");
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_completes_ors_with_the_sliders_and_the_provider_sees_the_point_and_flag() {
    if !browser_available() {
        return;
    }
    let started = Instant::now();
    let app = TestApp::spawn(Backend::Sqlite).await.expect("sqlite app");

    // The practice (two-factor off, default measures), a provider and an adult client, over HTTP.
    let owner = app.signup("pro", "olivia", "").await;
    let login = owner.login("olivia", STRONG_PASSWORD).await;
    assert_eq!(login.status, StatusCode::SEE_OTHER, "owner signs in");
    let pat_id = create_staff(&owner, "provider", "pat", "", None).await;
    let (client_id, client_login, client_password) = create_client(&owner, Some(pat_id), "").await;

    // Session 1 on paper, entered by the provider: ORS intake 20 (so a flag can be computed) and
    // an SRS, which completes the session so that the client is next asked for the ORS.
    let pat = app.browser();
    let login = pat.login("pat", STRONG_PASSWORD).await;
    assert_eq!(login.status, StatusCode::SEE_OTHER, "provider signs in");
    let page = format!("/clients/{client_id}");
    let action = format!("/clients/{client_id}/ratings");
    for (measure, total) in [("ors", "20"), ("srs", "38")] {
        let answer = pat
            .submit(
                &page,
                &action,
                &[
                    ("measure", measure),
                    ("session", "1"),
                    ("total", total),
                    ("source", "paper"),
                ],
            )
            .await;
        assert_eq!(
            answer.status,
            StatusCode::SEE_OTHER,
            "paper {measure} for session 1: {}",
            answer.body
        );
    }

    in_chromium(|driver| {
        client_rates_then_provider_checks(driver, &app, client_id, &client_login, &client_password)
    })
    .await;
    println!("browser test took {:?}", started.elapsed());
}

/// The practice requires an authenticator app for staff: the provider, after the password and one
/// texted code, scans (reads) the server-drawn QR page, confirms with a code, sees the recovery
/// codes once, and later signs in on a browser that lost its registration with the app alone.
async fn set_up_the_app_then_sign_in_with_it(
    driver: WebDriver,
    app: &TestApp,
    owner: &common::Browser,
    provider_id: i32,
) -> WebDriverResult<()> {
    driver.goto(format!("{}/login", app.base)).await?;
    sign_in(&driver, "pat", STRONG_PASSWORD).await?;
    assert_eq!(wait_for_path(&driver, &["/login/verify"]).await?, "/login/verify");
    let code = texted_code(app).await;
    wait_for(&driver, "#f-code").await?.send_keys(&code).await?;
    wait_for(&driver, "form[action='/login/verify'] button[type=submit]")
        .await?
        .click()
        .await?;
    assert_eq!(wait_for_path(&driver, &["/login/setup"]).await?, "/login/setup");

    // The QR code is drawn (inline SVG, no script) at a scannable size, the key is also text.
    let qr = wait_for(&driver, "figure.qr svg").await?;
    let rect = qr.rect().await?;
    assert!(
        rect.width >= 200.0 && rect.height >= 200.0,
        "QR drawn at {rect:?}"
    );
    let secret = common::base32_decode(&wait_for(&driver, "#totp-secret").await?.text().await?);
    assert_eq!(secret.len(), 20);
    let into_step = app.clock.now().rem_euclid(30);
    app.clock.advance(30 - into_step + 10);
    wait_for(&driver, "#f-code")
        .await?
        .send_keys(common::totp_at(&secret, app.clock.now()))
        .await?;
    wait_for(&driver, "form[action='/login/setup'] button[type=submit]")
        .await?
        .click()
        .await?;
    let codes = driver
        .query(By::Css("#recovery-codes code"))
        .wait(WAIT, POLL)
        .all_from_selector()
        .await?;
    assert_eq!(codes.len(), 10, "ten recovery codes shown");
    let download = wait_for(&driver, "#download-codes").await?;
    let href = download.attr("href").await?.unwrap_or_default();
    let first = codes[0].text().await?;
    assert!(
        href.starts_with("data:text/plain") && href.contains(&first),
        "the download holds the codes"
    );
    wait_for(&driver, "a.button").await?.click().await?;
    assert_eq!(wait_for_path(&driver, &["/dashboard"]).await?, "/dashboard");
    sign_out(&driver).await?;

    // The owner revokes pat's devices; the next sign-in asks for the app, and offers no text.
    let csrf = owner.csrf_from(&format!("/staff/{provider_id}")).await;
    let revoked = owner
        .post(
            &format!("/staff/{provider_id}/devices/revoke"),
            &[("csrf_token", &csrf)],
        )
        .await;
    assert_eq!(revoked.status, StatusCode::SEE_OTHER);
    let texts = app.twilio.count();
    sign_in(&driver, "pat", STRONG_PASSWORD).await?;
    assert_eq!(wait_for_path(&driver, &["/login/verify"]).await?, "/login/verify");
    let heading = wait_for(&driver, "main h1").await?.text().await?;
    assert!(heading.contains("authenticator app"), "app first: {heading:?}");
    assert!(
        driver.find_all(By::Id("send-text")).await?.is_empty(),
        "no texted codes when the app is required"
    );
    app.clock.advance(30);
    wait_for(&driver, "#f-code")
        .await?
        .send_keys(common::totp_at(&secret, app.clock.now()))
        .await?;
    wait_for(&driver, "form[action='/login/verify'] button[type=submit]")
        .await?
        .click()
        .await?;
    assert_eq!(wait_for_path(&driver, &["/dashboard"]).await?, "/dashboard");
    assert_eq!(app.twilio.count(), texts, "nothing texted");
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_provider_sets_up_an_authenticator_app_and_signs_in_with_it() {
    if !browser_available() {
        return;
    }
    let app = TestApp::spawn(Backend::Sqlite).await.expect("sqlite app");
    let owner = app.signup("pro", "olivia", "").await;
    owner.login("olivia", STRONG_PASSWORD).await;
    let provider_id = create_staff(&owner, "provider", "pat", "+1 415 555 2671", None).await;
    common::require_app_for_staff(&owner).await;
    in_chromium(|driver| set_up_the_app_then_sign_in_with_it(driver, &app, &owner, provider_id)).await;
}

/// The W3C WebDriver WebAuthn extension: Chromium's virtual authenticator.
#[derive(Debug)]
enum VirtualAuthenticator {
    Add(serde_json::Value),
    Credentials(String),
}

impl thirtyfour::common::command::FormatRequestData for VirtualAuthenticator {
    fn format_request(&self, session: &thirtyfour::SessionId) -> thirtyfour::RequestData {
        match self {
            Self::Add(options) => thirtyfour::RequestData::new(
                http::Method::POST,
                format!("/session/{session}/webauthn/authenticator"),
            )
            .add_body(options.clone()),
            Self::Credentials(id) => thirtyfour::RequestData::new(
                http::Method::GET,
                format!("/session/{session}/webauthn/authenticator/{id}/credentials"),
            ),
        }
    }
}

/// A platform authenticator with resident keys and user verification, always consenting.
async fn add_virtual_authenticator(driver: &WebDriver) -> WebDriverResult<String> {
    let answer = driver
        .cmd(VirtualAuthenticator::Add(serde_json::json!({
            "protocol": "ctap2",
            "transport": "internal",
            "hasResidentKey": true,
            "hasUserVerification": true,
            "isUserConsenting": true,
            "isUserVerified": true
        })))
        .await?;
    Ok(answer.value_json()?.as_str().unwrap_or_default().to_string())
}

async fn passkey_then_sign_in_without_a_password(driver: WebDriver, app: &TestApp) -> WebDriverResult<()> {
    // Passkeys need a host name: the browser works at http://localhost:<port>, the public_url.
    let base = app.public_url.clone();
    driver.goto(format!("{base}/login")).await?;
    let authenticator = add_virtual_authenticator(&driver).await?;
    sign_in(&driver, "olivia", STRONG_PASSWORD).await?;
    wait_for_path(&driver, &["/dashboard"]).await?;

    driver.goto(format!("{base}/security")).await?;
    wait_for(&driver, "#f-passkey-password")
        .await?
        .send_keys(STRONG_PASSWORD)
        .await?;
    let name = wait_for(&driver, "#f-passkey-name").await?;
    name.clear().await?;
    name.send_keys("Chromium test key").await?;
    wait_for(&driver, "#add-passkey").await?.click().await?;
    // The page stays at /security until the ceremony is done, then reloads with a notice.
    let deadline = Instant::now() + WAIT;
    while driver.current_url().await?.query() != Some("passkey=added") {
        if Instant::now() >= deadline {
            let said = wait_for(&driver, "[data-passkey-status]").await?.text().await?;
            panic!("the passkey was not added within {WAIT:?}; the page says {said:?}");
        }
        tokio::time::sleep(POLL).await;
    }
    let listed = wait_for(&driver, "#passkeys").await?.text().await?;
    assert!(listed.contains("Chromium test key"), "listed: {listed}");
    let held = driver
        .cmd(VirtualAuthenticator::Credentials(authenticator))
        .await?
        .value_json()?;
    assert_eq!(
        held.as_array().map(Vec::len),
        Some(1),
        "the authenticator holds one resident credential"
    );

    sign_out(&driver).await?;
    // No password this time: the button (or the user ID field's autofill, which a virtual
    // authenticator answers by itself) signs in with the passkey alone.
    if driver.current_url().await?.path() == "/login" {
        let button = wait_for(&driver, "#passkey-sign-in").await?;
        // The autofill may already have signed in and left the page.
        let _ = button.click().await;
    }
    let path = wait_for_path(&driver, &["/dashboard"]).await?;
    assert_eq!(path, "/dashboard");
    let typed = driver.find_all(By::Css("#f-password")).await?.len();
    assert_eq!(typed, 0, "no password field on the dashboard");
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_owner_adds_a_passkey_and_signs_in_with_it_alone() {
    if !browser_available() {
        return;
    }
    let app = TestApp::spawn_localhost(Backend::Sqlite)
        .await
        .expect("sqlite app on localhost");
    app.signup("pro", "olivia", "").await;
    let steps =
        |driver: WebDriver| async move { passkey_then_sign_in_without_a_password(driver, &app).await };
    in_chromium(steps).await;
}
