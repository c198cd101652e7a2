//! Authenticator apps (TOTP) and recovery codes beside SMS (issue 6). Codes are computed here
//! from the secret the page shows, with an RFC 6238 implementation of the test's own.

use reqwest::StatusCode;

use crate::common::{
    Answer, Browser, STRONG_PASSWORD, TestApp, base32_decode, count_rows, create_staff, save_options, totp_at,
};

pub(crate) const PAT_PHONE: &str = "+14155552671";

#[test]
fn the_tests_own_totp_matches_rfc_6238() {
    let secret = b"12345678901234567890";
    assert_eq!(totp_at(secret, 59), "287082");
    assert_eq!(totp_at(secret, 1_111_111_109), "081804");
    assert_eq!(totp_at(secret, 1_234_567_890), "005924");
    assert_eq!(base32_decode("GEZDGNBVGY3TQOJQ"), b"1234567890");
}

/// A `pro` practice with staff two-factor on and a provider "pat" with a phone and e-mail.
pub(crate) async fn practice(app: &TestApp) -> Browser {
    let owner = app.signup("pro", "olivia", "").await;
    owner.login("olivia", crate::common::STRONG_PASSWORD).await;
    let saved = save_options(&owner, true, false, "365", "15").await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.body);
    create_staff(&owner, "provider", "pat", "(415) 555-2671", None).await;
    owner
}

/// Moves the app's clock to 10 s into a 30-second step, so a code computed now stays in its
/// step while the request travels.
pub(crate) fn settle_in_step(app: &TestApp) {
    let into = app.clock.now().rem_euclid(30);
    app.clock.advance(30 - into + 10);
}

/// Signs pat in on a new browser with a texted code.
pub(crate) async fn signed_in_with_text(app: &TestApp) -> Browser {
    let browser = app.browser();
    let answer = browser.login("pat", STRONG_PASSWORD).await;
    assert_eq!(answer.location(), Some("/login/verify"), "{}", answer.body);
    let code = app.twilio.last_code_to(PAT_PHONE).expect("a texted code");
    let done = enter(&browser, "sms", &code).await;
    assert_eq!(done.location(), Some("/"), "{}", done.body);
    browser
}

/// One button of the Security page's form, with the password typed into it.
pub(crate) async fn security_change(browser: &Browser, password: &str, action: &str) -> Answer {
    browser
        .submit(
            "/security",
            "/security",
            &[("current_password", password), ("action", action)],
        )
        .await
}

pub(crate) async fn enter(browser: &Browser, method: &str, code: &str) -> Answer {
    let csrf = browser.csrf_from("/login/verify").await;
    browser
        .post(
            "/login/verify",
            &[("csrf_token", &csrf), ("method", method), ("code", code)],
        )
        .await
}

/// Adds an app from the Security page; returns its secret and the 10 recovery codes.
pub(crate) async fn add_app(app: &TestApp, browser: &Browser) -> (Vec<u8>, Vec<String>) {
    let started = security_change(browser, STRONG_PASSWORD, "add_app").await;
    assert_eq!(
        started.location(),
        Some("/security/authenticator"),
        "{}",
        started.body
    );
    let page = browser.get("/security/authenticator").await;
    assert_eq!(page.status, StatusCode::OK);
    let secret = base32_decode(&page.element_text("totp-secret").expect("secret shown as text"));
    assert_eq!(secret.len(), 20, "160-bit secret");
    settle_in_step(app);
    let confirmed = browser
        .submit(
            "/security/authenticator",
            "/security/authenticator",
            &[("code", &totp_at(&secret, app.clock.now()))],
        )
        .await;
    assert_eq!(confirmed.status, StatusCode::OK, "{}", confirmed.body);
    (secret, recovery_codes(&confirmed))
}

pub(crate) fn recovery_codes(page: &Answer) -> Vec<String> {
    let document = scraper::Html::parse_document(&page.body);
    let selector = scraper::Selector::parse("#recovery-codes code").expect("selector");
    document
        .select(&selector)
        .map(|c| c.text().collect::<String>())
        .collect()
}

pub(crate) async fn latest_factors(app: &TestApp) -> String {
    use sea_orm::{EntityTrait, QueryOrder};
    entities::session::Entity::find()
        .order_by_desc(entities::session::Column::Id)
        .one(&app.db().await)
        .await
        .expect("query")
        .expect("a session")
        .factors
        .to_string()
}

pub(crate) async fn audit_details(app: &TestApp, action: &str) -> Vec<String> {
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
    entities::audit_log::Entity::find()
        .filter(entities::audit_log::Column::Action.eq(action))
        .order_by_asc(entities::audit_log::Column::Id)
        .all(&app.db().await)
        .await
        .expect("query")
        .into_iter()
        .map(|row| row.details.unwrap_or_default())
        .collect()
}

async fn adding_an_app_needs_the_password_and_a_first_code(app: TestApp) {
    practice(&app).await;
    let pat = signed_in_with_text(&app).await;
    let security = pat.get("/security").await;
    assert_eq!(security.element_text("app-status").as_deref(), Some("Not set up"));
    let wrong = security_change(&pat, "not my password at all", "add_app").await;
    assert_eq!(wrong.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(wrong.body.contains("not your current password"));
    assert_eq!(count_rows(&app, "authenticators").await, 0);

    let started = security_change(&pat, STRONG_PASSWORD, "add_app").await;
    assert_eq!(started.location(), Some("/security/authenticator"));
    let page = pat.get("/security/authenticator").await;
    assert!(page.body.contains("<svg"), "QR code rendered on the server");
    let shown = page.element_text("totp-secret").expect("secret as text");
    let secret = base32_decode(&shown);
    // Stored sealed: neither the base32 text nor the raw bytes are in the database.
    let stored = count_matching(&app, &shown.replace(' ', "")).await;
    assert_eq!(stored, 0, "secret not stored in the clear");
    settle_in_step(&app);
    let bad = pat
        .submit(
            "/security/authenticator",
            "/security/authenticator",
            &[("code", &totp_at(&secret, app.clock.now() + 300))],
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        pat.get("/security").await.element_text("app-status").as_deref(),
        Some("Not set up"),
        "a wrong first code confirms nothing"
    );
    let done = pat
        .submit(
            "/security/authenticator",
            "/security/authenticator",
            &[("code", &totp_at(&secret, app.clock.now()))],
        )
        .await;
    assert_eq!(done.status, StatusCode::OK, "{}", done.body);
    let codes = recovery_codes(&done);
    assert_eq!(codes.len(), 10);
    let unique: std::collections::HashSet<_> = codes.iter().collect();
    assert_eq!(unique.len(), 10);
    assert!(done.body.contains("download=\"outcomes-recovery-codes.txt\""));
    assert!(
        codes
            .iter()
            .all(|c| done.body.contains(&format!("{c}%0A")) || done.body.contains(c)),
        "the download holds the codes"
    );
    let security = pat.get("/security").await;
    assert!(
        security
            .element_text("app-status")
            .unwrap_or_default()
            .starts_with("In use since")
    );
    assert_eq!(
        security.element_text("recovery-status").as_deref(),
        Some("10 of 10 left")
    );
    // Recovery codes kept only as argon2 hashes.
    use sea_orm::EntityTrait;
    let rows = entities::recovery_code::Entity::find()
        .all(&app.db().await)
        .await
        .expect("query");
    assert_eq!(rows.len(), 10);
    assert!(rows.iter().all(|r| r.code_hash.starts_with("$argon2id$")));
    assert!(
        rows.iter()
            .all(|r| codes.iter().all(|c| !r.code_hash.contains(c.as_str())))
    );
    assert_eq!(audit_details(&app, "authenticator.added").await.len(), 1);
    assert!(
        app.mail_files()
            .iter()
            .any(|m| m.contains("pat@example.com") && m.contains("authenticator app was set up")),
        "pat is told an app was added"
    );
    // Shown once: the Security page never shows them again.
    assert!(codes.iter().all(|c| !security.body.contains(c.as_str())));
}

async fn at_sign_in_the_app_comes_first_and_registers_the_browser(app: TestApp) {
    practice(&app).await;
    let pat = signed_in_with_text(&app).await;
    let (secret, _) = add_app(&app, &pat).await;
    let texts = app.twilio.count();

    let browser = app.browser();
    let answer = browser.login("pat", STRONG_PASSWORD).await;
    assert_eq!(answer.location(), Some("/login/verify"));
    assert_eq!(
        app.twilio.count(),
        texts,
        "nothing texted when the app comes first"
    );
    let page = browser.get("/login/verify").await;
    assert!(page.body.contains("authenticator app"));
    assert!(page.body.contains("name=\"method\" value=\"app\""));
    assert!(page.body.contains("Text me a code instead"));
    assert!(page.body.contains("Use a recovery code"));
    assert!(page.body.contains("autocomplete=\"one-time-code\""));

    app.clock.advance(30);
    settle_in_step(&app);
    let done = enter(&browser, "app", &totp_at(&secret, app.clock.now())).await;
    assert_eq!(done.location(), Some("/"), "{}", done.body);
    assert!(
        done.set_cookies()
            .iter()
            .any(|c| c.starts_with("outcomes_device_")),
        "the browser is registered as with a texted code"
    );
    assert_eq!(latest_factors(&app).await, "password+app");
    assert!(
        audit_details(&app, "code.accepted")
            .await
            .contains(&"factor app".to_string())
    );
    assert!(
        audit_details(&app, "login.succeeded")
            .await
            .contains(&"factors password+app".to_string())
    );
    assert_eq!(browser.get("/dashboard").await.status, StatusCode::OK);

    // The same browser later: the password alone.
    let csrf = browser.csrf_from("/dashboard").await;
    browser.post("/logout", &[("csrf_token", &csrf)]).await;
    let again = browser.login("pat", STRONG_PASSWORD).await;
    assert_eq!(again.location(), Some("/"));
}

async fn a_replayed_code_and_drift_beyond_one_step_are_refused(app: TestApp) {
    practice(&app).await;
    let pat = signed_in_with_text(&app).await;
    let (secret, _) = add_app(&app, &pat).await;

    // The set-up code itself cannot be used again to sign in.
    let first = app.browser();
    first.login("pat", STRONG_PASSWORD).await;
    let now = app.clock.now();
    let replayed = enter(&first, "app", &totp_at(&secret, now)).await;
    assert_eq!(replayed.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(replayed.body.contains("already used"), "{}", replayed.body);

    app.clock.advance(120);
    settle_in_step(&app);
    let now = app.clock.now();
    let refused_minus_two = enter(&first, "app", &totp_at(&secret, now - 60)).await;
    assert_eq!(refused_minus_two.status, StatusCode::UNPROCESSABLE_ENTITY);
    let refused_plus_two = enter(&first, "app", &totp_at(&secret, now + 60)).await;
    assert_eq!(refused_plus_two.status, StatusCode::UNPROCESSABLE_ENTITY);
    let minus_one = enter(&first, "app", &totp_at(&secret, now - 30)).await;
    assert_eq!(minus_one.location(), Some("/"), "one step behind is accepted");

    // One step ahead is accepted too, on another browser; then that code is spent.
    let second = app.browser();
    second.login("pat", STRONG_PASSWORD).await;
    let plus_one = enter(&second, "app", &totp_at(&secret, now + 30)).await;
    assert_eq!(plus_one.location(), Some("/"), "one step ahead is accepted");
    let third = app.browser();
    third.login("pat", STRONG_PASSWORD).await;
    let again = enter(&third, "app", &totp_at(&secret, now + 30)).await;
    assert_eq!(again.status, StatusCode::UNPROCESSABLE_ENTITY, "each code once");
    // An older code than the last one used is refused as well.
    let older = enter(&third, "app", &totp_at(&secret, now)).await;
    assert_eq!(older.status, StatusCode::UNPROCESSABLE_ENTITY);
}

pub(crate) async fn count_matching(app: &TestApp, text: &str) -> usize {
    use sea_orm::EntityTrait;
    entities::authenticator::Entity::find()
        .all(&app.db().await)
        .await
        .expect("query")
        .iter()
        .filter(|a| a.secret_sealed.contains(text) || a.secret_sealed.contains(&text.to_lowercase()))
        .count()
}

pub(crate) async fn id_of(app: &TestApp, login: &str) -> i32 {
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
    entities::user::Entity::find()
        .filter(entities::user::Column::Login.eq(login))
        .one(&app.db().await)
        .await
        .expect("query")
        .expect("user")
        .id
}

crate::db_tests!(
    adding_an_app_needs_the_password_and_a_first_code,
    at_sign_in_the_app_comes_first_and_registers_the_browser,
    a_replayed_code_and_drift_beyond_one_step_are_refused,
);
