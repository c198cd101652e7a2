//! The SMS second step and device registration (SPEC §2, SECURITY.md code and device tables).

use futures::future::join_all;
use reqwest::StatusCode;

use crate::common::{Browser, STRONG_PASSWORD, TestApp, count_rows, create_staff};

pub(crate) const PAT_PHONE: &str = "+14155552671";
pub(crate) const SAM_PHONE: &str = "+14155552672";

/// A `pro` practice with staff two-factor on and a provider "pat" who has a phone.
pub(crate) async fn practice(app: &TestApp) -> (Browser, i32) {
    let owner = app.signup("pro", "olivia", "").await;
    owner.login("olivia", STRONG_PASSWORD).await;
    set_options(&owner, true, false).await;
    let pat = create_staff(&owner, "provider", "pat", "(415) 555-2671", None).await;
    (owner, pat)
}

pub(crate) async fn set_options(owner: &Browser, staff: bool, clients: bool) {
    let answer = crate::common::save_options(owner, staff, clients, "365", "15").await;
    assert_eq!(answer.status, StatusCode::SEE_OTHER, "{}", answer.body);
}

/// Password step for `login`; asserts a code was asked for.
pub(crate) async fn password_then_code_page(browser: &Browser, login: &str) {
    let answer = browser.login(login, STRONG_PASSWORD).await;
    assert_eq!(answer.status, StatusCode::SEE_OTHER, "{}", answer.body);
    assert_eq!(answer.location(), Some("/login/verify"));
}

pub(crate) async fn enter_code(browser: &Browser, code: &str) -> crate::common::Answer {
    let csrf = browser.csrf_from("/login/verify").await;
    browser
        .post("/login/verify", &[("csrf_token", &csrf), ("code", code)])
        .await
}

async fn latest_factors(app: &TestApp) -> String {
    use sea_orm::{EntityTrait, QueryOrder};
    let db = app.db().await;
    let session = entities::session::Entity::find()
        .order_by_desc(entities::session::Column::Id)
        .one(&db)
        .await
        .expect("query")
        .expect("a session");
    session.factors.to_string()
}

async fn a_new_browser_needs_a_texted_code_and_is_then_registered(app: TestApp) {
    practice(&app).await;
    let browser = app.browser();
    password_then_code_page(&browser, "pat").await;
    let page = browser.get("/login/verify").await;
    assert_eq!(page.element_text("phone-hint").as_deref(), Some("•••• •••• 2671"));
    assert!(page.body.contains("autocomplete=\"one-time-code\""));
    let sent = app.twilio.messages();
    assert_eq!(sent.len(), 1);
    let message = &sent[0];
    assert!(
        message.authorization_ok,
        "basic auth with the account SID and token"
    );
    assert_eq!(message.to(), PAT_PHONE);
    assert_eq!(
        message.fields.get("From").map(String::as_str),
        Some("+15005550006")
    );
    assert_eq!(
        message.fields.get("ValidityPeriod").map(String::as_str),
        Some("600")
    );
    let code = message.code().expect("a code");
    assert_eq!(
        message.body(),
        format!(
            "Outcomes security code: {code}. It expires in 10 minutes. Do not share it.\n\n@127.0.0.1 #{code}"
        )
    );
    let pending_token = browser.cookie("outcomes_session");
    let answer = enter_code(&browser, &code).await;
    assert_eq!(answer.status, StatusCode::SEE_OTHER);
    assert_eq!(answer.location(), Some("/"));
    assert_ne!(
        browser.cookie("outcomes_session"),
        pending_token,
        "a new session token after the code step"
    );
    let device_cookie = answer
        .set_cookies()
        .into_iter()
        .find(|c| c.starts_with("outcomes_device_"))
        .expect("device cookie");
    for flag in ["HttpOnly", "SameSite=Lax", "Path=/", "Max-Age=31536000"] {
        assert!(device_cookie.contains(flag), "{flag} in {device_cookie}");
    }
    assert_eq!(browser.get("/dashboard").await.status, StatusCode::OK);
    assert_eq!(latest_factors(&app).await, "password+sms");
    let devices = browser.get("/devices").await;
    assert!(devices.body.contains("Chrome on Windows"));
}

async fn a_registered_browser_needs_only_the_password_next_time(app: TestApp) {
    practice(&app).await;
    let browser = app.browser();
    password_then_code_page(&browser, "pat").await;
    enter_code(&browser, &app.twilio.last_code_to(PAT_PHONE).expect("code")).await;
    let csrf = browser.csrf_from("/dashboard").await;
    browser.post("/logout", &[("csrf_token", &csrf)]).await;
    let again = browser.login("pat", STRONG_PASSWORD).await;
    assert_eq!(again.location(), Some("/"), "no code this time");
    assert_eq!(app.twilio.count(), 1, "no second text");
    assert_eq!(latest_factors(&app).await, "password+device");
    // Another browser registers separately.
    password_then_code_page(&app.browser(), "pat").await;
    assert_eq!(app.twilio.count(), 2);
}

async fn the_pending_state_opens_nothing_else(app: TestApp) {
    practice(&app).await;
    let browser = app.browser();
    password_then_code_page(&browser, "pat").await;
    for path in ["/dashboard", "/clients", "/devices", "/account/password"] {
        let answer = browser.get(path).await;
        assert_eq!(answer.status, StatusCode::SEE_OTHER, "{path}");
        assert_eq!(answer.location(), Some("/login"), "{path}");
    }
    assert_eq!(browser.get("/").await.location(), Some("/login/verify"));
}

async fn a_code_is_refused_after_ten_minutes(app: TestApp) {
    practice(&app).await;
    let browser = app.browser();
    password_then_code_page(&browser, "pat").await;
    let code = app.twilio.last_code_to(PAT_PHONE).expect("code");
    let csrf = browser.csrf_from("/login/verify").await;
    app.clock.advance(10 * 60 + 1);
    let answer = browser
        .post("/login/verify", &[("csrf_token", &csrf), ("code", &code)])
        .await;
    assert_ne!(answer.location(), Some("/"), "refused at 10 min + 1 s");
    assert_eq!(browser.get("/dashboard").await.status, StatusCode::SEE_OTHER);
}

async fn a_used_code_or_another_users_code_never_works(app: TestApp) {
    let (owner, _) = practice(&app).await;
    create_staff(&owner, "provider", "sam", SAM_PHONE, None).await;
    let first = app.browser();
    password_then_code_page(&first, "pat").await;
    let used = app.twilio.last_code_to(PAT_PHONE).expect("code");
    assert_eq!(enter_code(&first, &used).await.location(), Some("/"));
    // Reuse on a new challenge of the same user.
    let second = app.browser();
    password_then_code_page(&second, "pat").await;
    let fresh = app.twilio.last_code_to(PAT_PHONE).expect("code");
    if fresh != used {
        assert_eq!(
            enter_code(&second, &used).await.status,
            StatusCode::UNPROCESSABLE_ENTITY
        );
    }
    // Pat's code on Sam's challenge.
    let sam = app.browser();
    password_then_code_page(&sam, "sam").await;
    let sams = app.twilio.last_code_to(SAM_PHONE).expect("code");
    if fresh != sams {
        assert_eq!(
            enter_code(&sam, &fresh).await.status,
            StatusCode::UNPROCESSABLE_ENTITY
        );
    }
    assert_eq!(enter_code(&sam, &sams).await.location(), Some("/"));
}

pub(crate) fn wrong_code(right: &str) -> String {
    let first = right.as_bytes()[0];
    let digit = if first == b'9' { '0' } else { (first + 1) as char };
    format!("{digit}{}", &right[1..])
}

async fn the_sixth_try_fails_even_with_the_right_code(app: TestApp) {
    practice(&app).await;
    let browser = app.browser();
    password_then_code_page(&browser, "pat").await;
    let code = app.twilio.last_code_to(PAT_PHONE).expect("code");
    for attempt in 1..=5 {
        let answer = enter_code(&browser, &wrong_code(&code)).await;
        assert_eq!(answer.status, StatusCode::UNPROCESSABLE_ENTITY, "try {attempt}");
    }
    let sixth = enter_code(&browser, &code).await;
    assert_eq!(sixth.status, StatusCode::GONE);
    assert_eq!(browser.get("/dashboard").await.status, StatusCode::SEE_OTHER);
}

async fn fifty_concurrent_wrong_tries_accept_none_and_count_exactly(app: TestApp) {
    practice(&app).await;
    let browser = app.browser();
    password_then_code_page(&browser, "pat").await;
    let code = app.twilio.last_code_to(PAT_PHONE).expect("code");
    let csrf = browser.csrf_from("/login/verify").await;
    let wrong = wrong_code(&code);
    let tries = (0..50).map(|_| {
        let browser = browser.clone();
        let (csrf, wrong) = (csrf.clone(), wrong.clone());
        async move {
            browser
                .post(
                    "/login/verify",
                    &[("csrf_token", csrf.as_str()), ("code", wrong.as_str())],
                )
                .await
        }
    });
    let answers = join_all(tries).await;
    assert!(answers.iter().all(|a| a.location() != Some("/")), "none accepted");
    let db = app.db().await;
    use sea_orm::EntityTrait;
    let challenge = entities::challenge::Entity::find()
        .one(&db)
        .await
        .expect("query")
        .expect("challenge");
    assert_eq!(challenge.attempts, 5, "exactly five tries counted");
    assert_eq!(
        enter_code(&browser, &code).await.status,
        StatusCode::GONE,
        "dead even for the right code"
    );
}

async fn two_concurrent_right_tries_give_one_session(app: TestApp) {
    practice(&app).await;
    let browser = app.browser();
    password_then_code_page(&browser, "pat").await;
    let code = app.twilio.last_code_to(PAT_PHONE).expect("code");
    let csrf = browser.csrf_from("/login/verify").await;
    let tries = (0..2).map(|_| {
        let browser = browser.clone();
        let (csrf, code) = (csrf.clone(), code.clone());
        async move {
            browser
                .post(
                    "/login/verify",
                    &[("csrf_token", csrf.as_str()), ("code", code.as_str())],
                )
                .await
        }
    });
    let answers = join_all(tries).await;
    let accepted = answers.iter().filter(|a| a.location() == Some("/")).count();
    assert_eq!(
        accepted,
        1,
        "{:?}",
        answers.iter().map(|a| a.status).collect::<Vec<_>>()
    );
    assert_eq!(
        count_rows(&app, "sessions").await,
        2,
        "the owner's session and one for pat"
    );
}

crate::db_tests!(
    a_new_browser_needs_a_texted_code_and_is_then_registered,
    a_registered_browser_needs_only_the_password_next_time,
    the_pending_state_opens_nothing_else,
    a_code_is_refused_after_ten_minutes,
    a_used_code_or_another_users_code_never_works,
    the_sixth_try_fails_even_with_the_right_code,
    fifty_concurrent_wrong_tries_accept_none_and_count_exactly,
    two_concurrent_right_tries_give_one_session,
);
