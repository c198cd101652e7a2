//! Single sign-on end to end in a real headless Chromium: a staff member opens the practice's
//! link, signs in on the real OpenID provider's page (`oidc-provider-mock` on 127.0.0.1), is
//! asked for the texted code (the practice asks for its second step on top), and lands on the
//! dashboard.

// A test that cannot set up must stop loudly: unwrap, expect and panic are its assertions here,
// unlike on the service's request paths.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
#![allow(clippy::items_after_statements, clippy::float_cmp)]
#![allow(clippy::format_push_string, clippy::format_collect)]

#[path = "common/mod.rs"]
mod common;

use std::time::Instant;

use reqwest::StatusCode;
use thirtyfour::prelude::*;

use common::chromium::{self, Chromium, POLL, WAIT};
use common::oidc_provider::OidcProvider;
use common::{Backend, STRONG_PASSWORD, TestApp, create_staff};

const PAT_PHONE: &str = "+14155552671";

/// Waits until the page's path is `wanted`; panics with the page otherwise.
async fn wait_for_path(driver: &WebDriver, wanted: &str) -> WebDriverResult<()> {
    let deadline = Instant::now() + WAIT;
    loop {
        let url = driver.current_url().await?;
        if url.path() == wanted {
            return Ok(());
        }
        if Instant::now() >= deadline {
            let source = driver.source().await.unwrap_or_default();
            panic!("expected {wanted}, but the browser is at {url}:\n{source}");
        }
        tokio::time::sleep(POLL).await;
    }
}

async fn sso_then_code_then_dashboard(
    driver: &WebDriver,
    app: &TestApp,
    provider: &OidcProvider,
) -> WebDriverResult<()> {
    driver.goto(format!("{}/sso/harbor", app.public_url)).await?;
    wait_for_path(driver, "/oauth2/authorize").await?;
    assert!(
        driver.current_url().await?.as_str().starts_with(&provider.issuer),
        "on the provider's own page"
    );
    let texts = app.twilio.count();
    driver
        .query(By::Css("input[name=sub]"))
        .wait(WAIT, POLL)
        .first()
        .await?
        .send_keys("pat-at-idp")
        .await?;
    driver
        .query(By::XPath("//button[normalize-space()='Authorize']"))
        .first()
        .await?
        .click()
        .await?;
    wait_for_path(driver, "/login/verify").await?;
    let deadline = Instant::now() + WAIT;
    let code = loop {
        if app.twilio.count() > texts
            && let Some(code) = app.twilio.last_code_to(PAT_PHONE)
        {
            break code;
        }
        assert!(Instant::now() < deadline, "no code was texted");
        tokio::time::sleep(POLL).await;
    };
    driver
        .query(By::Id("f-code"))
        .wait(WAIT, POLL)
        .first()
        .await?
        .send_keys(&code)
        .await?;
    driver
        .query(By::Css("form[action='/login/verify'] button[type=submit]"))
        .first()
        .await?
        .click()
        .await?;
    wait_for_path(driver, "/dashboard").await?;
    let heading = driver.query(By::Css("main h1")).first().await?.text().await?;
    assert!(heading.contains("Dashboard"), "got {heading:?}");
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_staff_member_signs_in_at_the_provider_then_with_the_texted_code() {
    if !chromium::available() {
        return;
    }
    let Some(provider) = OidcProvider::start().await else {
        return;
    };
    // The provider sends the browser back to `public_url`: the app's real address.
    let app = TestApp::spawn_localhost(Backend::Sqlite)
        .await
        .expect("sqlite app");
    let owner = app.signup("pro", "olivia", "").await;
    owner.login("olivia", STRONG_PASSWORD).await;
    let saved = common::save_options(&owner, true, false, "365", "15").await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.body);
    create_staff(&owner, "provider", "pat", PAT_PHONE, None).await;
    let sso = owner
        .submit(
            "/options",
            "/options/sso",
            &[
                ("practice", "harbor"),
                ("sso_issuer", &provider.issuer),
                ("sso_client_id", "outcomes-client"),
                ("sso_client_secret", "secret"),
                ("sso_mode", "optional"),
                ("sso_second_step", "on"),
            ],
        )
        .await;
    assert_eq!(sso.status, StatusCode::SEE_OTHER, "{}", sso.body);

    // Pat links the identity over HTTP (password, code, then Security).
    let http = app.browser();
    let first = http.login("pat", STRONG_PASSWORD).await;
    assert_eq!(first.location(), Some("/login/verify"));
    let code = app.twilio.last_code_to(PAT_PHONE).expect("code");
    let csrf = http.csrf_from("/login/verify").await;
    http.post("/login/verify", &[("csrf_token", &csrf), ("code", &code)])
        .await;
    let to = http.submit("/security", "/security/sso/link", &[]).await;
    let back = provider
        .answer(to.location().expect("to the provider"), Some("pat-at-idp"))
        .await;
    let path = &back[back.find("/login/sso/callback").expect("callback")..];
    assert_eq!(http.get(path).await.location(), Some("/security?sso=linked"));

    let browser = Chromium::start().await;
    let outcome = sso_then_code_then_dashboard(browser.driver(), &app, &provider).await;
    browser.quit().await;
    if let Err(error) = outcome {
        panic!("{error}");
    }
}
