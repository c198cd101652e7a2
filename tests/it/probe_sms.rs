//! The probe's SMS-pumping findings (issue 18): limits that a new sign-up does not reset, a new practice's daily cap, and the countries texts may go to.

use reqwest::StatusCode;

use super::probe::PHONE;
use crate::common::{AppOptions, Backend, STRONG_PASSWORD, TestApp, create_staff, save_options};

async fn sign_up_mobile(app: &TestApp, login: &str) -> crate::common::Answer {
    app.browser()
        .submit(
            "/signup",
            "/signup",
            &[
                ("organization", &format!("Practice {login}")),
                ("plan", "mobile"),
                ("full_name", "Olivia Owner"),
                ("user_id", login),
                ("password", STRONG_PASSWORD),
                ("email", "owner@example.com"),
                ("phone", PHONE),
            ],
        )
        .await
}

async fn new_sign_ups_do_not_reset_the_texts_one_number_may_get(app: TestApp) {
    let mut statuses = Vec::new();
    for i in 0..5 {
        let login = format!("owner{i}");
        assert_eq!(sign_up_mobile(&app, &login).await.status, StatusCode::SEE_OTHER);
        for _ in 0..2 {
            statuses.push(app.browser().login(&login, STRONG_PASSWORD).await.status);
        }
    }
    assert_eq!(
        app.twilio.count(),
        5,
        "one number gets 5 codes an hour: {statuses:?}"
    );
    assert_eq!(
        statuses
            .iter()
            .filter(|s| **s == StatusCode::TOO_MANY_REQUESTS)
            .count(),
        5
    );
    let refused = app.browser().login("owner4", STRONG_PASSWORD).await;
    assert_eq!(refused.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(refused.body.contains("this phone number"), "{}", refused.body);
    assert_eq!(app.twilio.count(), 5, "a refusal makes no provider call");

    // A sixth practice from the same address within the hour is refused, the form kept.
    let sixth = sign_up_mobile(&app, "owner5").await;
    assert_eq!(sixth.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(sixth.body.contains("At most 5 practices"), "{}", sixth.body);
    assert!(sixth.body.contains("value=\"owner5\""), "what was typed survives");
}

async fn a_new_practice_sends_at_most_twenty_texts_a_day(app: TestApp) {
    let owner = app.signup("pro", "olivia", "").await;
    owner.login("olivia", STRONG_PASSWORD).await;
    save_options(&owner, true, false, "365", "15").await;
    for i in 0..5 {
        create_staff(
            &owner,
            "provider",
            &format!("pat{i}"),
            &format!("+1415555267{i}"),
            None,
        )
        .await;
    }
    let mut refused = None;
    for round in 0..5 {
        for i in 0..5 {
            let answer = app.browser().login(&format!("pat{i}"), STRONG_PASSWORD).await;
            if answer.status == StatusCode::TOO_MANY_REQUESTS && refused.is_none() {
                refused = Some((round * 5 + i, answer.body));
            }
        }
    }
    assert_eq!(app.twilio.count(), 20, "twenty texts on day one");
    let (attempt, body) = refused.expect("the 21st text is refused");
    assert_eq!(attempt, 20);
    assert!(body.contains("budget"), "{body}");
    // After the first week the owner's budget (500 a day) applies.
    app.clock.advance(8 * 86_400);
    assert_eq!(
        app.browser().login("pat0", STRONG_PASSWORD).await.location(),
        Some("/login/verify")
    );
    assert_eq!(app.twilio.count(), 21);
}

async fn texts_go_only_to_the_allowed_countries(app: TestApp) {
    let owner = app.signup("pro", "olivia", "").await;
    owner.login("olivia", STRONG_PASSWORD).await;
    save_options(&owner, true, false, "365", "15").await;
    create_staff(&owner, "provider", "pat", "+44 7911 123456", None).await;
    let refused = app.browser().login("pat", STRONG_PASSWORD).await;
    assert_eq!(refused.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(refused.body.contains("numbers in US only"), "{}", refused.body);
    assert_eq!(app.twilio.count(), 0, "no provider call");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sms_countries_lets_a_practice_text_abroad() {
    let Some(app) = TestApp::spawn_with(
        Backend::Sqlite,
        AppOptions {
            public_url: None,
            extra: vec![("sms_countries", "US,GB".to_string())],
        },
    )
    .await
    else {
        return;
    };
    let owner = app.signup("pro", "olivia", "").await;
    owner.login("olivia", STRONG_PASSWORD).await;
    save_options(&owner, true, false, "365", "15").await;
    // 07400 is a Great Britain mobile range (07911, for one, is also Guernsey's).
    create_staff(&owner, "provider", "pat", "+44 7400 123456", None).await;
    let answer = app.browser().login("pat", STRONG_PASSWORD).await;
    assert_eq!(answer.location(), Some("/login/verify"), "{}", answer.body);
    assert_eq!(app.twilio.count(), 1);
}

crate::db_tests!(
    new_sign_ups_do_not_reset_the_texts_one_number_may_get,
    a_new_practice_sends_at_most_twenty_texts_a_day,
    texts_go_only_to_the_allowed_countries,
);
