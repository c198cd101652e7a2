//! End-to-end in a real headless Chromium (`common::chromium`), one module per journey: a
//! provider registers a browser with a texted code, and that browser then signs in again with
//! only the password; a client completes the ORS with the sliders, and the provider sees the new
//! point and flag; a provider sets up an authenticator app from its QR page and signs in with it;
//! an owner adds a passkey and signs in with it alone.

// A test or benchmark that cannot set up must stop loudly: unwrap, expect and panic are its
// assertions here, unlike on the service's request paths.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
// Helpers sit next to the step that needs them, and scores read back are exact to the decimal.
#![allow(clippy::items_after_statements, clippy::float_cmp)]
// Request bodies and reports are assembled as text.
#![allow(clippy::format_push_string, clippy::format_collect)]

#[path = "../common/mod.rs"]
mod common;

use std::future::Future;
use std::time::Instant;

use thirtyfour::prelude::*;

use common::TestApp;
use common::chromium::{Chromium, POLL, WAIT};

mod app;
mod passkey;
mod sliders;
mod texted_code;

/// How long any one step may take before the test gives up (a cold Chromium start is the slowest).
pub(crate) const PROVIDER_PHONE: &str = "+14155552671";

/// Waits until the page's path is one of `wanted`, and returns it (with the query, if any).
pub(crate) async fn wait_for_path(driver: &WebDriver, wanted: &[&str]) -> WebDriverResult<String> {
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
pub(crate) async fn wait_for(driver: &WebDriver, css: &str) -> WebDriverResult<WebElement> {
    driver.query(By::Css(css)).wait(WAIT, POLL).first().await
}

/// Fills in the sign-in form of a freshly loaded `/login` page and submits it.
pub(crate) async fn sign_in(driver: &WebDriver, user_id: &str, password: &str) -> WebDriverResult<()> {
    wait_for(driver, "#f-user_id").await?.send_keys(user_id).await?;
    wait_for(driver, "#f-password").await?.send_keys(password).await?;
    wait_for(driver, "form[action='/login'] button[type=submit]")
        .await?
        .click()
        .await
}

/// Signs out through the header's button and waits for the sign-in page.
pub(crate) async fn sign_out(driver: &WebDriver) -> WebDriverResult<()> {
    wait_for(driver, "form[action='/logout'] button")
        .await?
        .click()
        .await?;
    let path = wait_for_path(driver, &["/login"]).await?;
    assert_eq!(path, "/login?signed_out=true");
    Ok(())
}

/// Runs `steps` in a fresh headless Chromium with a fresh profile (`common::chromium`), and
/// fails the test with the WebDriver error if a step returns one. Chromium is quit even when a
/// step panics; chromedriver and the profile go when `browser` is dropped.
pub(crate) async fn in_chromium<F, Fut>(steps: F)
where
    F: FnOnce(WebDriver) -> Fut,
    Fut: Future<Output = WebDriverResult<()>>,
{
    let mut browser = Chromium::start().await;
    let driver = browser.driver.take().expect("a running session");
    if let Err(error) = driver.run_and_quit(steps).await {
        panic!("{error}");
    }
}

/// The texted code; polled because the app may answer the browser before the fake has logged it.
pub(crate) async fn texted_code(app: &TestApp) -> String {
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
