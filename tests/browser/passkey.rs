//! An owner adds a passkey with Chromium's virtual authenticator and signs in with it alone.

use std::time::Instant;

use thirtyfour::prelude::*;

use super::{in_chromium, sign_in, wait_for, wait_for_path};
use crate::common::chromium::{self, POLL, WAIT};
use crate::common::{Backend, STRONG_PASSWORD, TestApp};

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

    // The sign-in page offers the passkey through autofill as soon as it loads, and the virtual
    // authenticator consents by itself, so the browser may pass through /login too quickly to
    // be seen there: the audit log tells that the sign-out and then a passkey sign-in happened.
    wait_for(&driver, "form[action='/logout'] button")
        .await?
        .click()
        .await?;
    let path = wait_for_path(&driver, &["/login", "/dashboard"]).await?;
    if path.starts_with("/login") {
        let button = wait_for(&driver, "#passkey-sign-in").await?;
        // The autofill may already have signed in and left the page.
        let _ = button.click().await;
    }
    let path = wait_for_path(&driver, &["/dashboard"]).await?;
    assert_eq!(path, "/dashboard");
    let since_sign_out = sign_ins_since_the_last_sign_out(app).await;
    assert_eq!(
        since_sign_out,
        vec!["factors passkey".to_string()],
        "one sign-in after signing out, with the passkey alone"
    );
    let typed = driver.find_all(By::Css("#f-password")).await?.len();
    assert_eq!(typed, 0, "no password field on the dashboard");
    Ok(())
}

/// The details of each `login.succeeded` audited after the newest `logout`, oldest first;
/// panics if nobody signed out.
async fn sign_ins_since_the_last_sign_out(app: &TestApp) -> Vec<String> {
    use sea_orm::{EntityTrait, QueryOrder};
    let db = app.db().await;
    let rows = entities::audit_log::Entity::find()
        .order_by_asc(entities::audit_log::Column::Id)
        .all(&db)
        .await
        .expect("the audit log");
    let last_sign_out = rows
        .iter()
        .rposition(|row| row.action == "logout")
        .expect("a logout row: the header's button signed out");
    rows[last_sign_out..]
        .iter()
        .filter(|row| row.action == "login.succeeded")
        .map(|row| row.details.clone().unwrap_or_default())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_owner_adds_a_passkey_and_signs_in_with_it_alone() {
    if !chromium::available() {
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
