//! A client completes the ORS with the sliders, and the provider sees the new point and flag.

use std::time::Instant;

use reqwest::StatusCode;
use thirtyfour::prelude::*;

use super::{in_chromium, sign_in, sign_out, wait_for, wait_for_path};
use crate::common::chromium::{self, POLL, WAIT};
use crate::common::{Backend, STRONG_PASSWORD, TestApp, create_client, create_staff};

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
    if !chromium::available() {
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
