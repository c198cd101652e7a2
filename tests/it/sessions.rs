//! Session cookies, rotation, timeouts, CSRF and headers (SECURITY.md "Sessions", "Every request").

use reqwest::StatusCode;

use crate::common::{AppOptions, Backend, STRONG_PASSWORD, TestApp};

async fn the_session_cookie_is_httponly_and_samesite_lax(app: TestApp) {
    app.signup("pro", "olivia", "").await;
    let browser = app.browser();
    let answer = browser.login("olivia", STRONG_PASSWORD).await;
    let cookie = answer
        .set_cookies()
        .into_iter()
        .find(|c| c.starts_with("outcomes_session="))
        .expect("session cookie set");
    assert!(cookie.contains("HttpOnly"));
    assert!(cookie.contains("SameSite=Lax"));
    assert!(cookie.contains("Path=/"));
    let token = cookie
        .split(';')
        .next()
        .unwrap_or_default()
        .trim_start_matches("outcomes_session=");
    assert!(token.len() >= 32, "at least 128 bits");
}

async fn signing_in_rotates_the_session_token(app: TestApp) {
    app.signup("pro", "olivia", "").await;
    let browser = app.browser();
    browser.login("olivia", STRONG_PASSWORD).await;
    let first = browser.cookie("outcomes_session");
    // Signing in again from a signed-in browser (the form's token is the session's).
    let csrf = browser.csrf_from("/dashboard").await;
    let again = browser
        .post(
            "/login",
            &[
                ("csrf_token", &csrf),
                ("user_id", "olivia"),
                ("password", STRONG_PASSWORD),
            ],
        )
        .await;
    assert_eq!(again.status, StatusCode::SEE_OTHER);
    let second = browser.cookie("outcomes_session");
    assert!(first.is_some() && second.is_some());
    assert_ne!(first, second);
    // The first token no longer works.
    let other = app.browser();
    other.set_cookie("outcomes_session", &first.unwrap_or_default());
    assert_eq!(other.get("/dashboard").await.status, StatusCode::SEE_OTHER);
}

async fn fifteen_idle_minutes_sign_you_out(app: TestApp) {
    app.signup("pro", "olivia", "").await;
    let browser = app.browser();
    browser.login("olivia", STRONG_PASSWORD).await;
    app.clock.advance(14 * 60);
    assert_eq!(
        browser.get("/dashboard").await.status,
        StatusCode::OK,
        "14 minutes idle is fine"
    );
    app.clock.advance(15 * 60 + 1);
    let answer = browser.get("/dashboard").await;
    assert_eq!(answer.status, StatusCode::SEE_OTHER);
    assert_eq!(answer.location(), Some("/login"));
}

async fn twelve_hours_end_a_session_even_when_busy(app: TestApp) {
    app.signup("pro", "olivia", "").await;
    let browser = app.browser();
    browser.login("olivia", STRONG_PASSWORD).await;
    for _ in 0..(12 * 6 - 1) {
        app.clock.advance(10 * 60);
        assert_eq!(browser.get("/dashboard").await.status, StatusCode::OK);
    }
    app.clock.advance(10 * 60);
    assert_eq!(browser.get("/dashboard").await.status, StatusCode::SEE_OTHER);
}

async fn a_post_without_the_csrf_token_is_refused(app: TestApp) {
    let owner = app.signup("pro", "olivia", "").await;
    owner.login("olivia", STRONG_PASSWORD).await;
    let missing = owner.post("/logout", &[]).await;
    assert_eq!(missing.status, StatusCode::FORBIDDEN);
    let wrong = owner.post("/logout", &[("csrf_token", "0123456789abcdef")]).await;
    assert_eq!(wrong.status, StatusCode::FORBIDDEN);
    assert_eq!(
        owner.get("/dashboard").await.status,
        StatusCode::OK,
        "still signed in"
    );
    let anonymous = app.browser();
    let login = anonymous
        .post("/login", &[("user_id", "olivia"), ("password", STRONG_PASSWORD)])
        .await;
    assert_eq!(
        login.status,
        StatusCode::FORBIDDEN,
        "the sign-in form needs its token too"
    );
}

async fn every_page_carries_the_security_headers(app: TestApp) {
    let owner = app.signup("pro", "olivia", "").await;
    owner.login("olivia", STRONG_PASSWORD).await;
    for path in ["/login", "/dashboard", "/staff", "/no-such-page"] {
        let answer = owner.get(path).await;
        assert_eq!(
            answer.header("content-security-policy").as_deref(),
            Some("default-src 'self'; frame-ancestors 'none'"),
            "{path}"
        );
        assert_eq!(
            answer.header("x-content-type-options").as_deref(),
            Some("nosniff"),
            "{path}"
        );
        assert_eq!(
            answer.header("referrer-policy").as_deref(),
            Some("same-origin"),
            "{path}"
        );
        assert_eq!(
            answer.header("cache-control").as_deref(),
            Some("no-store"),
            "{path}"
        );
    }
    assert!(
        owner
            .get("/dashboard")
            .await
            .header("strict-transport-security")
            .is_none(),
        "no HSTS over http"
    );
}

async fn deactivating_a_person_ends_their_sessions(app: TestApp) {
    let owner = app.signup("pro", "olivia", "").await;
    owner.login("olivia", STRONG_PASSWORD).await;
    let id = crate::common::create_staff(&owner, "provider", "pat", "", None).await;
    let pat = app.browser();
    assert_eq!(
        pat.login("pat", STRONG_PASSWORD).await.status,
        StatusCode::SEE_OTHER
    );
    assert_eq!(pat.get("/dashboard").await.status, StatusCode::OK);
    let csrf = owner.csrf_from(&format!("/staff/{id}")).await;
    let answer = owner
        .post(&format!("/staff/{id}/deactivate"), &[("csrf_token", &csrf)])
        .await;
    assert_eq!(answer.status, StatusCode::SEE_OTHER);
    assert_eq!(
        pat.get("/dashboard").await.status,
        StatusCode::SEE_OTHER,
        "signed out"
    );
    assert_eq!(
        pat.login("pat", STRONG_PASSWORD).await.status,
        StatusCode::UNAUTHORIZED
    );
}

crate::db_tests!(
    the_session_cookie_is_httponly_and_samesite_lax,
    signing_in_rotates_the_session_token,
    fifteen_idle_minutes_sign_you_out,
    twelve_hours_end_a_session_even_when_busy,
    a_post_without_the_csrf_token_is_refused,
    every_page_carries_the_security_headers,
    deactivating_a_person_ends_their_sessions,
);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn under_https_cookies_are_secure_with_the_host_prefix_and_hsts_is_sent() {
    let options = AppOptions {
        public_url: Some("https://outcomes.example".into()),
        extra: Vec::new(),
    };
    let app = TestApp::spawn_with(Backend::Sqlite, options).await.expect("app");
    let browser = app.browser();
    let page = browser.get("/login").await;
    let csrf_cookie = page
        .set_cookies()
        .into_iter()
        .find(|c| c.starts_with("__Host-outcomes_csrf="))
        .expect("prefixed CSRF cookie");
    assert!(csrf_cookie.contains("Secure"));
    assert!(page.header("strict-transport-security").is_some());
}
