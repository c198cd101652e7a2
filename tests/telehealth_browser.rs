//! A client on a phone-sized Chromium (390 px) opens the measures link texted to them (read from
//! the fake Twilio), taps the thumb of each empty slider without moving it, sends the answers,
//! then answers PHQ-9 item 9 with 2 and sees the practice's crisis text. Screenshots of each
//! step are saved for review (`OUTCOMES_SCREENSHOTS`, default a temp folder).

// A test that cannot set up must stop loudly: unwrap, expect and panic are its assertions here,
// unlike on the service's request paths.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
#![allow(clippy::items_after_statements, clippy::float_cmp)]
#![allow(clippy::format_push_string, clippy::format_collect)]

#[path = "common/mod.rs"]
mod common;

use std::path::PathBuf;

use reqwest::StatusCode;
use thirtyfour::prelude::*;

use common::chromium::{self, Chromium, POLL, WAIT};
use common::{Backend, Browser, STRONG_PASSWORD, TestApp, create_staff};

const PHONE: &str = "+14155552672";

fn screenshots() -> PathBuf {
    let dir = std::env::var("OUTCOMES_SCREENSHOTS").map_or_else(
        |_| std::env::temp_dir().join("outcomes-screenshots"),
        PathBuf::from,
    );
    std::fs::create_dir_all(&dir).expect("screenshot folder");
    dir
}

/// A practice, a provider and a client with a phone; the provider asks for the PHQ-9 and sends
/// the link by text.
async fn texted_link(app: &TestApp) -> String {
    // A text sent on demand waits out quiet hours; this one is read at once.
    app.skip_quiet_hours();
    let owner = app.signup("pro", "olivia", "").await;
    owner.login("olivia", STRONG_PASSWORD).await;
    let pat_id = create_staff(&owner, "provider", "pat", "", None).await;
    let pat = app.browser();
    assert_eq!(pat.login("pat", STRONG_PASSWORD).await.location(), Some("/"));
    let created = pat
        .submit(
            "/clients/new",
            "/clients/new",
            &[
                ("first_name", "Casey"),
                ("last_name", "Quill"),
                ("age_group", "adult"),
                ("phone", PHONE),
                ("email", ""),
                ("provider_id", &pat_id.to_string()),
            ],
        )
        .await;
    assert_eq!(created.status, StatusCode::OK);
    let client = client_id(&created);
    // The provider asks for the PHQ-9 at every session, so the link opens it with the ORS.
    let asked = pat
        .submit(
            &format!("/clients/{client}"),
            &format!("/clients/{client}/questionnaires"),
            &[("phq9", "1")],
        )
        .await;
    assert_eq!(asked.status, StatusCode::SEE_OTHER, "{}", asked.body);
    let sent = pat
        .submit(
            &format!("/clients/{client}"),
            &format!("/clients/{client}/invite"),
            &[("channel", "sms")],
        )
        .await;
    assert_eq!(sent.status, StatusCode::SEE_OTHER, "{}", sent.body);
    let text = app
        .twilio
        .messages()
        .into_iter()
        .find(|m| m.to() == PHONE)
        .expect("the link was texted");
    let body = text.body();
    let start = body.find("http").expect("a link in the text");
    let link = body[start..]
        .split_whitespace()
        .next()
        .expect("the link")
        .to_string();
    // The text names the app's public address; the browser talks to where the test app listens.
    link.replace(&app.public_url, &app.base)
}

fn client_id(answer: &common::Answer) -> i32 {
    let document = scraper::Html::parse_document(&answer.body);
    let selector = scraper::Selector::parse("a[href^='/clients/']").expect("selector");
    document
        .select(&selector)
        .filter_map(|a| a.value().attr("href"))
        .find_map(|href| href.trim_start_matches("/clients/").parse::<i32>().ok())
        .expect("link to the client page")
}

async fn wait_for(driver: &WebDriver, css: &str) -> WebDriverResult<WebElement> {
    driver.query(By::Css(css)).wait(WAIT, POLL).first().await
}

async fn wait_for_path(driver: &WebDriver, path: &str) -> WebDriverResult<String> {
    let deadline = std::time::Instant::now() + WAIT;
    loop {
        let url = driver.current_url().await?;
        if url.path() == path {
            return Ok(url.query().unwrap_or_default().to_string());
        }
        assert!(
            std::time::Instant::now() < deadline,
            "expected {path}, at {url}: {}",
            driver.source().await.unwrap_or_default()
        );
        tokio::time::sleep(POLL).await;
    }
}

async fn shoot(driver: &WebDriver, name: &str) -> WebDriverResult<()> {
    driver.set_window_rect(0, 0, 390, 2400).await?;
    driver
        .screenshot(&screenshots().join(format!("{name}-390.png")))
        .await?;
    driver.set_window_rect(0, 0, 390, 844).await
}

async fn answer_by_link(driver: &WebDriver, link: &str) -> WebDriverResult<()> {
    driver.set_window_rect(0, 0, 390, 844).await?;
    let path = link
        .split_once("/m/")
        .map(|(_, t)| format!("/m/{t}"))
        .expect("a link path");
    driver.goto(link).await?;
    wait_for(driver, "#pending-measures a[href$='/ors']").await?;
    shoot(driver, "link-list").await?;
    assert!(
        !driver.source().await?.contains("Casey"),
        "no name on the link's page"
    );
    wait_for(driver, "#pending-measures a[href$='/ors']")
        .await?
        .click()
        .await?;
    wait_for_path(driver, &format!("{path}/ors")).await?;
    shoot(driver, "link-ors-empty").await?;
    for item in 1..=4 {
        let number = wait_for(driver, &format!("#ors-item{item}")).await?;
        assert_eq!(
            number.value().await?.unwrap_or_default(),
            "",
            "item {item} starts empty"
        );
        let slider = wait_for(driver, &format!("input.vas-slider[data-for='ors-item{item}']")).await?;
        assert!(
            slider
                .class_name()
                .await?
                .unwrap_or_default()
                .contains("vas-empty"),
            "no thumb before the first touch"
        );
        let height = slider.rect().await?.height;
        assert!(height >= 44.0, "the line is a 44 px touch target, got {height}");
        slider.scroll_into_view().await?;
        // A tap on the resting thumb (the middle), without moving it.
        slider.click().await?;
        let value = number.value().await?.unwrap_or_default();
        let tapped: f64 = value.parse().unwrap_or(-1.0);
        assert!(
            (4.5..=5.5).contains(&tapped),
            "item {item}: the tap set {value:?}"
        );
        assert!(
            !slider
                .class_name()
                .await?
                .unwrap_or_default()
                .contains("vas-empty"),
            "the thumb shows once answered"
        );
    }
    shoot(driver, "link-ors-tapped").await?;
    wait_for(driver, "#submit-measure").await?.click().await?;
    wait_for_path(driver, &path).await?;
    wait_for(driver, "#pending-measures a[href$='/phq9']")
        .await?
        .click()
        .await?;
    wait_for_path(driver, &format!("{path}/phq9")).await?;
    for item in 1..=9 {
        let value = if item == 9 { "2" } else { "0" };
        let radio = wait_for(driver, &format!("input[name='item{item}'][value='{value}']")).await?;
        radio.scroll_into_view().await?;
        radio.click().await?;
    }
    wait_for(driver, "#submit-measure").await?.click().await?;
    let query = wait_for_path(driver, &format!("{path}/done")).await?;
    assert_eq!(query, "safety=true");
    let crisis = wait_for(driver, "#crisis-text").await?.text().await?;
    assert!(crisis.contains("988"), "{crisis}");
    let message = wait_for(driver, "#safety-message").await?.text().await?;
    assert!(message.contains("do not watch answers"), "{message}");
    shoot(driver, "link-safety").await?;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_opens_the_texted_link_on_a_phone_taps_each_thumb_and_sees_the_crisis_text() {
    if !chromium::available() {
        return;
    }
    let app = TestApp::spawn(Backend::Sqlite).await.expect("sqlite app");
    let link = texted_link(&app).await;
    let browser = Chromium::start().await;
    let result = answer_by_link(browser.driver(), &link).await;
    browser.quit().await;
    if let Err(error) = result {
        panic!("{error}");
    }
    // The answers arrived: the ORS with four middle values, and a safety alert for the provider.
    let pat = Browser::new(&app.base, common::CHROME_UA);
    pat.login("pat", STRONG_PASSWORD).await;
    let dashboard = pat.get("/dashboard").await;
    assert!(dashboard.body.contains("Safety alert"), "the provider is alerted");
    println!("screenshots in {}", screenshots().display());
}
