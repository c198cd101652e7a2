//! Sending codes: a new code, the hourly and daily caps, the account budget, the lock after twenty wrong codes, hashed storage, and Twilio's failures (issue 2).

use reqwest::StatusCode;

use super::two_factor::{PAT_PHONE, SAM_PHONE, enter_code, password_then_code_page, practice, wrong_code};
use crate::common::fake_twilio::Behaviour;
use crate::common::{STRONG_PASSWORD, TestApp, create_staff};

async fn send_a_new_code_replaces_the_old_one_with_cooldown_and_a_cap(app: TestApp) {
    practice(&app).await;
    let browser = app.browser();
    password_then_code_page(&browser, "pat").await;
    let old = app.twilio.last_code_to(PAT_PHONE).expect("code");
    let csrf = browser.csrf_from("/login/verify").await;
    let too_soon = browser
        .post("/login/verify/resend", &[("csrf_token", &csrf)])
        .await;
    assert_eq!(too_soon.status, StatusCode::TOO_MANY_REQUESTS, "30 s cooldown");
    assert_eq!(app.twilio.count(), 1, "no provider call when refused");
    app.clock.advance(31);
    let resent = browser
        .post("/login/verify/resend", &[("csrf_token", &csrf)])
        .await;
    assert_eq!(resent.status, StatusCode::SEE_OTHER);
    assert_eq!(app.twilio.count(), 2);
    let new = app.twilio.last_code_to(PAT_PHONE).expect("code");
    if new != old {
        assert_eq!(
            enter_code(&browser, &old).await.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "old code dead"
        );
    }
    app.clock.advance(31);
    assert_eq!(
        browser
            .post("/login/verify/resend", &[("csrf_token", &csrf)])
            .await
            .status,
        StatusCode::SEE_OTHER
    );
    app.clock.advance(31);
    let fourth = browser
        .post("/login/verify/resend", &[("csrf_token", &csrf)])
        .await;
    assert_eq!(
        fourth.status,
        StatusCode::TOO_MANY_REQUESTS,
        "three sends per challenge"
    );
    assert_eq!(app.twilio.count(), 3);
    let latest = app.twilio.last_code_to(PAT_PHONE).expect("code");
    assert_eq!(enter_code(&browser, &latest).await.location(), Some("/"));
}

async fn the_sixth_code_in_an_hour_is_refused_without_calling_the_provider(app: TestApp) {
    practice(&app).await;
    for _ in 0..5 {
        password_then_code_page(&app.browser(), "pat").await;
    }
    assert_eq!(app.twilio.count(), 5);
    let sixth = app.browser().login("pat", STRONG_PASSWORD).await;
    assert_eq!(sixth.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(sixth.header("retry-after").is_some());
    assert_eq!(app.twilio.count(), 5, "no call to the SMS provider");
    app.clock.advance(3601);
    password_then_code_page(&app.browser(), "pat").await;
    assert_eq!(app.twilio.count(), 6, "allowed again after the hour");
}

async fn the_account_budget_stops_texts_and_tells_the_owner(app: TestApp) {
    let (owner, _) = practice(&app).await;
    create_staff(&owner, "provider", "sam", SAM_PHONE, None).await;
    let db = app.db().await;
    use sea_orm::ConnectionTrait;
    db.execute_unprepared("UPDATE accounts SET sms_daily_budget = 2")
        .await
        .expect("set budget");
    password_then_code_page(&app.browser(), "pat").await;
    password_then_code_page(&app.browser(), "sam").await;
    let refused = app.browser().login("pat", STRONG_PASSWORD).await;
    assert_eq!(refused.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(refused.body.contains("budget"));
    assert_eq!(app.twilio.count(), 2);
    let mails = app.mail_files();
    assert!(
        mails
            .iter()
            .any(|m| m.contains("owner@example.com") && m.contains("budget")),
        "owner told"
    );
}

async fn twenty_wrong_codes_in_a_row_lock_the_second_step_and_mail_the_owner(app: TestApp) {
    practice(&app).await;
    // Four sign-ins with five wrong codes each: a new sign-in does not reset the count.
    for round in 0..4 {
        let browser = app.browser();
        password_then_code_page(&browser, "pat").await;
        let code = app.twilio.last_code_to(PAT_PHONE).expect("code");
        for _ in 0..5 {
            enter_code(&browser, &wrong_code(&code)).await;
        }
        assert!(
            app.mail_files().is_empty() || round == 3,
            "no mail before the 20th"
        );
    }
    let sent = app.twilio.count();
    let locked = app.browser().login("pat", STRONG_PASSWORD).await;
    assert_eq!(locked.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(locked.body.contains("locked"));
    assert_eq!(app.twilio.count(), sent, "no text while locked");
    let mails = app.mail_files();
    assert!(
        mails
            .iter()
            .any(|m| m.contains("owner@example.com") && m.contains("pat")),
        "owner e-mailed: {mails:?}"
    );
    app.clock.advance(3601);
    password_then_code_page(&app.browser(), "pat").await;
}

async fn codes_are_stored_only_as_keyed_hashes(app: TestApp) {
    practice(&app).await;
    password_then_code_page(&app.browser(), "pat").await;
    let code = app.twilio.last_code_to(PAT_PHONE).expect("code");
    let db = app.db().await;
    use sea_orm::EntityTrait;
    let challenge = entities::challenge::Entity::find()
        .one(&db)
        .await
        .expect("query")
        .expect("challenge");
    assert_eq!(challenge.code_hash.len(), 64);
    assert!(!challenge.code_hash.contains(&code));
    let audit = entities::audit_log::Entity::find().all(&db).await.expect("audit");
    assert!(
        audit
            .iter()
            .all(|e| !e.details.clone().unwrap_or_default().contains(&code))
    );
}

async fn twilio_errors_give_a_clear_message_and_a_retry(app: TestApp) {
    practice(&app).await;
    let cases = [
        (400, 21211, "could not text the phone number on file"),
        (400, 21610, "blocked our texts"),
        (429, 20429, "text service is busy"),
        (401, 20003, "could not send the text just now"),
        (500, 20500, "could not send the text just now"),
    ];
    for (status, code, expected) in cases {
        app.twilio.behave(Behaviour::Fail {
            status,
            code,
            message: "fake failure".into(),
        });
        let browser = app.browser();
        password_then_code_page(&browser, "pat").await;
        let page = browser.get("/login/verify").await;
        assert_eq!(page.status, StatusCode::OK);
        assert!(
            page.element_text("verify-error")
                .unwrap_or_default()
                .contains(expected),
            "{code}: {}",
            page.body
        );
        app.clock.advance(3601);
    }
    // Retry works once Twilio recovers.
    app.twilio.behave(Behaviour::Fail {
        status: 500,
        code: 20500,
        message: "down".into(),
    });
    let browser = app.browser();
    password_then_code_page(&browser, "pat").await;
    app.twilio.behave(Behaviour::Accept);
    app.clock.advance(31);
    let csrf = browser.csrf_from("/login/verify").await;
    assert_eq!(
        browser
            .post("/login/verify/resend", &[("csrf_token", &csrf)])
            .await
            .status,
        StatusCode::SEE_OTHER
    );
    let code = app.twilio.last_code_to(PAT_PHONE).expect("code");
    assert_eq!(enter_code(&browser, &code).await.location(), Some("/"));
}

async fn the_eleventh_code_in_a_day_is_refused(app: TestApp) {
    practice(&app).await;
    for round in 0..2 {
        for _ in 0..5 {
            password_then_code_page(&app.browser(), "pat").await;
        }
        if round == 0 {
            app.clock.advance(3601);
        }
    }
    assert_eq!(app.twilio.count(), 10);
    app.clock.advance(3601);
    let refused = app.browser().login("pat", STRONG_PASSWORD).await;
    assert_eq!(refused.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(refused.body.contains("today"), "{}", refused.body);
    assert_eq!(app.twilio.count(), 10, "no provider call");
}

/// Twilio slower than the 10 s limit: the person gets a clear message and can retry.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_twilio_call_slower_than_ten_seconds_gives_up_with_a_message() {
    let app = TestApp::spawn(crate::common::Backend::Sqlite).await.expect("app");
    practice(&app).await;
    app.twilio
        .behave(Behaviour::Delay(std::time::Duration::from_secs(11)));
    let browser = app.browser();
    password_then_code_page(&browser, "pat").await;
    let page = browser.get("/login/verify").await;
    assert!(
        page.element_text("verify-error")
            .unwrap_or_default()
            .contains("could not send the text just now")
    );
}

crate::db_tests!(
    the_eleventh_code_in_a_day_is_refused,
    send_a_new_code_replaces_the_old_one_with_cooldown_and_a_cap,
    the_sixth_code_in_an_hour_is_refused_without_calling_the_provider,
    the_account_budget_stops_texts_and_tells_the_owner,
    twenty_wrong_codes_in_a_row_lock_the_second_step_and_mail_the_owner,
    codes_are_stored_only_as_keyed_hashes,
    twilio_errors_give_a_clear_message_and_a_retry,
);
