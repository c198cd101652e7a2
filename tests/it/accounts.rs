//! Sign-up, sign-in, sign-out, enumeration and throttling.

use reqwest::StatusCode;

use crate::common::{STRONG_PASSWORD, TestApp, count_rows, form_errors};

async fn signup_creates_an_account_whose_owner_can_sign_in(app: TestApp) {
    app.signup("pro", "olivia", "").await;
    let browser = app.browser();
    let answer = browser.login("olivia", STRONG_PASSWORD).await;
    assert_eq!(answer.status, StatusCode::SEE_OTHER);
    assert_eq!(answer.location(), Some("/"));
    let home = browser.get("/").await;
    assert_eq!(home.location(), Some("/dashboard"));
    let dashboard = browser.get("/dashboard").await;
    assert_eq!(dashboard.status, StatusCode::OK);
    assert!(
        dashboard.body.contains("Harbor Counseling"),
        "header names the account"
    );
    assert!(dashboard.body.contains("Olivia Owner"), "header names the user");
    assert!(
        dashboard.body.contains("action=\"/logout\""),
        "header has the sign-out form"
    );
}

async fn signup_with_bad_input_answers_422_with_messages_and_saves_nothing(app: TestApp) {
    let browser = app.browser();
    let answer = browser
        .submit(
            "/signup",
            "/signup",
            &[
                ("organization", "Harbor"),
                ("plan", "enterprise"),
                ("full_name", ""),
                ("user_id", "a b"),
                ("password", "short"),
                ("email", "not-an-email"),
                ("phone", "12"),
            ],
        )
        .await;
    assert_eq!(answer.status, StatusCode::UNPROCESSABLE_ENTITY);
    let errors = form_errors(&answer);
    for field in ["full_name", "user_id", "password", "email", "phone"] {
        assert!(errors.contains_key(field), "{field} has a message: {errors:?}");
    }
    assert!(answer.body.contains("Choose a plan."));
    assert!(
        answer.body.contains("value=\"Harbor\""),
        "typed organization survives"
    );
    assert!(
        !answer.body.contains("value=\"short\""),
        "passwords are never echoed"
    );
    assert_eq!(count_rows(&app, "accounts").await, 0);
    assert_eq!(count_rows(&app, "users").await, 0);
}

async fn a_weak_password_is_refused_with_the_reason(app: TestApp) {
    let browser = app.browser();
    let answer = browser
        .submit(
            "/signup",
            "/signup",
            &[
                ("organization", "Harbor"),
                ("plan", "pro"),
                ("full_name", "Olivia Owner"),
                ("user_id", "olivia"),
                ("password", "password1234"),
                ("email", "o@example.com"),
                ("phone", ""),
            ],
        )
        .await;
    assert_eq!(answer.status, StatusCode::UNPROCESSABLE_ENTITY);
    let message = form_errors(&answer).remove("password").unwrap_or_default();
    assert!(message.contains("too easy to guess"), "reason shown: {message}");
    assert_eq!(count_rows(&app, "users").await, 0);
}

async fn the_mobile_plan_requires_a_phone_at_signup(app: TestApp) {
    let browser = app.browser();
    let answer = browser
        .submit(
            "/signup",
            "/signup",
            &[
                ("organization", "Harbor"),
                ("plan", "mobile"),
                ("full_name", "Olivia Owner"),
                ("user_id", "olivia"),
                ("password", STRONG_PASSWORD),
                ("email", "o@example.com"),
                ("phone", ""),
            ],
        )
        .await;
    assert_eq!(answer.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(form_errors(&answer).contains_key("phone"));
}

async fn a_taken_user_id_is_refused(app: TestApp) {
    app.signup("pro", "olivia", "").await;
    let browser = app.browser();
    let answer = browser
        .submit(
            "/signup",
            "/signup",
            &[
                ("organization", "Other"),
                ("plan", "pro"),
                ("full_name", "Other Owner"),
                ("user_id", "OLIVIA"),
                ("password", STRONG_PASSWORD),
                ("email", "x@example.com"),
                ("phone", ""),
            ],
        )
        .await;
    assert_eq!(answer.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        form_errors(&answer)
            .get("user_id")
            .is_some_and(|m| m.contains("taken"))
    );
    assert_eq!(count_rows(&app, "accounts").await, 1);
}

async fn unknown_user_and_wrong_password_get_the_same_answer(app: TestApp) {
    app.signup("pro", "olivia", "").await;
    let browser = app.browser();
    let wrong = browser.login("olivia", "not the password at all").await;
    let unknown = browser.login("nobody-here", "not the password at all").await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    assert_eq!(unknown.status, StatusCode::UNAUTHORIZED);
    let normalize = |body: &str, typed: &str| body.replace(typed, "USER");
    assert_eq!(
        normalize(&wrong.body, "olivia"),
        normalize(&unknown.body, "nobody-here")
    );
    assert!(wrong.body.contains("The user ID or password is incorrect."));
}

async fn ten_failures_lock_the_user_id_for_fifteen_minutes(app: TestApp) {
    app.signup("pro", "olivia", "").await;
    let browser = app.browser();
    for attempt in 1..=10 {
        let answer = browser.login("olivia", "wrong password here").await;
        assert_eq!(answer.status, StatusCode::UNAUTHORIZED, "attempt {attempt}");
    }
    let locked = browser.login("olivia", STRONG_PASSWORD).await;
    assert_eq!(
        locked.status,
        StatusCode::TOO_MANY_REQUESTS,
        "even the right password waits"
    );
    let retry: i64 = locked
        .header("retry-after")
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    assert!(
        (800..=900).contains(&retry),
        "Retry-After about 15 minutes, got {retry}"
    );
    app.clock.advance(15 * 60 + 1);
    let after = browser.login("olivia", STRONG_PASSWORD).await;
    assert_eq!(after.status, StatusCode::SEE_OTHER, "unlocked after 15 minutes");
}

async fn sign_out_ends_the_session_on_the_server(app: TestApp) {
    let owner = app.signup("pro", "olivia", "").await;
    owner.login("olivia", STRONG_PASSWORD).await;
    let token = owner.cookie("outcomes_session").expect("session cookie");
    let csrf = owner.csrf_from("/dashboard").await;
    let answer = owner.post("/logout", &[("csrf_token", &csrf)]).await;
    assert_eq!(answer.status, StatusCode::SEE_OTHER);
    // Replaying the old cookie from another browser opens nothing.
    let replay = app.browser();
    replay.set_cookie("outcomes_session", &token);
    let page = replay.get("/dashboard").await;
    assert_eq!(page.status, StatusCode::SEE_OTHER);
    assert_eq!(page.location(), Some("/login"));
}

async fn a_hundred_failures_from_one_address_in_an_hour_are_throttled(app: TestApp) {
    app.signup("pro", "olivia", "").await;
    let browser = app.browser();
    for attempt in 0..100 {
        let answer = browser
            .login(&format!("guess{attempt}"), "wrong password here")
            .await;
        assert_eq!(answer.status, StatusCode::UNAUTHORIZED, "attempt {attempt}");
    }
    let blocked = browser.login("olivia", STRONG_PASSWORD).await;
    assert_eq!(blocked.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(blocked.header("retry-after").is_some());
    app.clock.advance(3601);
    assert_eq!(
        browser.login("olivia", STRONG_PASSWORD).await.status,
        StatusCode::SEE_OTHER
    );
}

async fn options_bad_input_answers_422_and_saves_nothing(app: TestApp) {
    let owner = app.signup("pro", "olivia", "").await;
    owner.login("olivia", STRONG_PASSWORD).await;
    let answer = owner
        .submit(
            "/options",
            "/options",
            &[
                ("staff_two_factor", "on"),
                ("client_two_factor", ""),
                ("device_days", "401"),
                ("idle_minutes", "4"),
                ("reliable_change", "0"),
                ("alliance_cutoff", "36"),
                ("alliance_drop", "1"),
                ("measures", "srs"),
            ],
        )
        .await;
    assert_eq!(answer.status, StatusCode::UNPROCESSABLE_ENTITY);
    let errors = form_errors(&answer);
    assert!(
        ["device_days", "idle_minutes", "reliable_change", "measures"]
            .iter()
            .all(|f| errors.contains_key(*f)),
        "{errors:?}"
    );
    assert!(answer.body.contains("value=\"401\""), "typed value survives");
    let page = owner.get("/options").await;
    assert!(
        !page
            .body
            .contains("name=\"staff_two_factor\" value=\"on\" checked"),
        "nothing saved"
    );
    assert!(page.body.contains("value=\"365\""));
}

async fn the_idle_limit_follows_the_owners_setting(app: TestApp) {
    let owner = app.signup("pro", "olivia", "").await;
    owner.login("olivia", STRONG_PASSWORD).await;
    let answer = crate::common::save_options(&owner, false, false, "30", "5").await;
    assert_eq!(answer.status, StatusCode::SEE_OTHER);
    app.clock.advance(5 * 60 + 30);
    assert_eq!(
        owner.get("/dashboard").await.status,
        StatusCode::SEE_OTHER,
        "signed out after 5 idle minutes"
    );
}

crate::db_tests!(
    a_hundred_failures_from_one_address_in_an_hour_are_throttled,
    options_bad_input_answers_422_and_saves_nothing,
    the_idle_limit_follows_the_owners_setting,
    signup_creates_an_account_whose_owner_can_sign_in,
    signup_with_bad_input_answers_422_with_messages_and_saves_nothing,
    a_weak_password_is_refused_with_the_reason,
    the_mobile_plan_requires_a_phone_at_signup,
    a_taken_user_id_is_refused,
    unknown_user_and_wrong_password_get_the_same_answer,
    ten_failures_lock_the_user_id_for_fifteen_minutes,
    sign_out_ends_the_session_on_the_server,
);
