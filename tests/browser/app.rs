//! A provider sets up an authenticator app from its QR page and signs in with it.

use reqwest::StatusCode;
use thirtyfour::prelude::*;

use super::{in_chromium, sign_in, sign_out, texted_code, wait_for, wait_for_path};
use crate::common::chromium::{self, POLL, WAIT};
use crate::common::{self, Backend, STRONG_PASSWORD, TestApp, create_staff};

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
    if !chromium::available() {
        return;
    }
    let app = TestApp::spawn(Backend::Sqlite).await.expect("sqlite app");
    let owner = app.signup("pro", "olivia", "").await;
    owner.login("olivia", STRONG_PASSWORD).await;
    let provider_id = create_staff(&owner, "provider", "pat", "+1 415 555 2671", None).await;
    common::require_app_for_staff(&owner).await;
    in_chromium(|driver| set_up_the_app_then_sign_in_with_it(driver, &app, &owner, provider_id)).await;
}
