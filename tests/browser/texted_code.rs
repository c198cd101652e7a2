//! A provider registers a browser with a texted code, and that browser then signs in with only the password.

use std::time::Instant;

use reqwest::StatusCode;
use thirtyfour::prelude::*;

use super::{in_chromium, sign_in, sign_out, texted_code, wait_for, wait_for_path};
use crate::common::chromium::{self};
use crate::common::{self, Backend, STRONG_PASSWORD, TestApp, create_staff};

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
    if !chromium::available() {
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
