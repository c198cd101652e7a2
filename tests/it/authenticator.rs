//! Authenticator apps (TOTP) and recovery codes beside SMS (issue 6). Codes are computed here
//! from the secret the page shows, with an RFC 6238 implementation of the test's own.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::common::{
    Answer, Browser, STRONG_PASSWORD, TestApp, base32_decode, count_rows, create_staff, save_options, totp_at,
};

const PAT_PHONE: &str = "+14155552671";

#[test]
fn the_tests_own_totp_matches_rfc_6238() {
    let secret = b"12345678901234567890";
    assert_eq!(totp_at(secret, 59), "287082");
    assert_eq!(totp_at(secret, 1_111_111_109), "081804");
    assert_eq!(totp_at(secret, 1_234_567_890), "005924");
    assert_eq!(base32_decode("GEZDGNBVGY3TQOJQ"), b"1234567890");
}

/// A `pro` practice with staff two-factor on and a provider "pat" with a phone and e-mail.
async fn practice(app: &TestApp) -> Browser {
    let owner = app.signup("pro", "olivia", "").await;
    owner.login("olivia", crate::common::STRONG_PASSWORD).await;
    let saved = save_options(&owner, true, false, "365", "15").await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.body);
    create_staff(&owner, "provider", "pat", "(415) 555-2671", None).await;
    owner
}

/// Moves the app's clock to 10 s into a 30-second step, so a code computed now stays in its
/// step while the request travels.
fn settle_in_step(app: &TestApp) {
    let into = app.clock.now().rem_euclid(30);
    app.clock.advance(30 - into + 10);
}

/// Signs pat in on a new browser with a texted code.
async fn signed_in_with_text(app: &TestApp) -> Browser {
    let browser = app.browser();
    let answer = browser.login("pat", STRONG_PASSWORD).await;
    assert_eq!(answer.location(), Some("/login/verify"), "{}", answer.body);
    let code = app.twilio.last_code_to(PAT_PHONE).expect("a texted code");
    let done = enter(&browser, "sms", &code).await;
    assert_eq!(done.location(), Some("/"), "{}", done.body);
    browser
}

/// One button of the Security page's form, with the password typed into it.
async fn security_change(browser: &Browser, password: &str, action: &str) -> Answer {
    browser
        .submit(
            "/security",
            "/security",
            &[("current_password", password), ("action", action)],
        )
        .await
}

async fn enter(browser: &Browser, method: &str, code: &str) -> Answer {
    let csrf = browser.csrf_from("/login/verify").await;
    browser
        .post(
            "/login/verify",
            &[("csrf_token", &csrf), ("method", method), ("code", code)],
        )
        .await
}

/// Adds an app from the Security page; returns its secret and the 10 recovery codes.
async fn add_app(app: &TestApp, browser: &Browser) -> (Vec<u8>, Vec<String>) {
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

fn recovery_codes(page: &Answer) -> Vec<String> {
    let document = scraper::Html::parse_document(&page.body);
    let selector = scraper::Selector::parse("#recovery-codes code").expect("selector");
    document
        .select(&selector)
        .map(|c| c.text().collect::<String>())
        .collect()
}

async fn latest_factors(app: &TestApp) -> String {
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

async fn audit_details(app: &TestApp, action: &str) -> Vec<String> {
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

/// Rows of `authenticators` whose sealed secret contains `text`.
async fn count_matching(app: &TestApp, text: &str) -> usize {
    use sea_orm::EntityTrait;
    entities::authenticator::Entity::find()
        .all(&app.db().await)
        .await
        .expect("query")
        .iter()
        .filter(|a| a.secret_sealed.contains(text) || a.secret_sealed.contains(&text.to_lowercase()))
        .count()
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

async fn two_concurrent_sign_ins_with_one_app_code_give_one_session(app: TestApp) {
    practice(&app).await;
    let pat = signed_in_with_text(&app).await;
    let (secret, _) = add_app(&app, &pat).await;
    app.clock.advance(30);
    settle_in_step(&app);
    let browsers: Vec<Browser> = (0..4).map(|_| app.browser()).collect();
    let mut csrfs = Vec::new();
    for browser in &browsers {
        browser.login("pat", STRONG_PASSWORD).await;
        csrfs.push(browser.csrf_from("/login/verify").await);
    }
    let code = totp_at(&secret, app.clock.now());
    let answers = futures::future::join_all(browsers.iter().zip(&csrfs).map(|(b, csrf)| {
        let code = code.clone();
        async move {
            b.post(
                "/login/verify",
                &[("csrf_token", csrf.as_str()), ("method", "app"), ("code", &code)],
            )
            .await
        }
    }))
    .await;
    let accepted = answers.iter().filter(|a| a.location() == Some("/")).count();
    assert_eq!(accepted, 1, "one code, one session");
}

async fn text_me_instead_and_recovery_codes_work_once(app: TestApp) {
    practice(&app).await;
    let pat = signed_in_with_text(&app).await;
    let (_, codes) = add_app(&app, &pat).await;

    // "Text me a code instead".
    let texted = app.browser();
    texted.login("pat", STRONG_PASSWORD).await;
    let before = app.twilio.count();
    let csrf = texted.csrf_from("/login/verify").await;
    let sent = texted
        .post("/login/verify/resend", &[("csrf_token", &csrf)])
        .await;
    assert_eq!(sent.location(), Some("/login/verify?method=sms"));
    assert_eq!(app.twilio.count(), before + 1);
    let page = texted.get("/login/verify?method=sms").await;
    assert!(page.body.contains("Enter the code we texted you"));
    assert!(page.body.contains("Use your authenticator app"));
    let done = enter(&texted, "sms", &app.twilio.last_code_to(PAT_PHONE).expect("code")).await;
    assert_eq!(done.location(), Some("/"));
    assert_eq!(latest_factors(&app).await, "password+sms");

    // A recovery code, typed loosely, signs in once and e-mails pat.
    let mails_before = app.mail_files().len();
    let recovering = app.browser();
    recovering.login("pat", STRONG_PASSWORD).await;
    let page = recovering.get("/login/verify?method=recovery").await;
    assert!(page.body.contains("name=\"method\" value=\"recovery\""));
    let loose = format!(" {} ", codes[0].to_uppercase());
    let used = enter(&recovering, "recovery", &loose).await;
    assert_eq!(used.location(), Some("/"), "{}", used.body);
    assert!(
        used.set_cookies()
            .iter()
            .any(|c| c.starts_with("outcomes_device_"))
    );
    assert_eq!(latest_factors(&app).await, "password+recovery");
    let mails = app.mail_files();
    assert_eq!(mails.len(), mails_before + 1);
    assert!(
        mails
            .iter()
            .any(|m| m.contains("pat@example.com") && m.contains("recovery code"))
    );

    // The same code a second time fails; another one works.
    let twice = app.browser();
    twice.login("pat", STRONG_PASSWORD).await;
    let again = enter(&twice, "recovery", &codes[0]).await;
    assert_eq!(again.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(again.body.contains("already used"));
    let other = enter(&twice, "recovery", &codes[1]).await;
    assert_eq!(other.location(), Some("/"));
    let security = twice.get("/security").await;
    assert_eq!(
        security.element_text("recovery-status").as_deref(),
        Some("8 of 10 left")
    );
}

async fn a_new_set_of_recovery_codes_voids_the_old(app: TestApp) {
    practice(&app).await;
    let pat = signed_in_with_text(&app).await;
    let (_, old_codes) = add_app(&app, &pat).await;
    let wrong = security_change(&pat, "wrong wrong wrong", "new_codes").await;
    assert_eq!(wrong.status, StatusCode::UNPROCESSABLE_ENTITY);
    let fresh = security_change(&pat, STRONG_PASSWORD, "new_codes").await;
    assert_eq!(fresh.status, StatusCode::OK);
    let new_codes = recovery_codes(&fresh);
    assert_eq!(new_codes.len(), 10);
    assert!(new_codes.iter().all(|c| !old_codes.contains(c)));
    let browser = app.browser();
    browser.login("pat", STRONG_PASSWORD).await;
    let old = enter(&browser, "recovery", &old_codes[2]).await;
    assert_eq!(
        old.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "the old set is void"
    );
    let new = enter(&browser, "recovery", &new_codes[2]).await;
    assert_eq!(new.location(), Some("/"));
    assert_eq!(audit_details(&app, "recovery_codes.replaced").await.len(), 1);
}

async fn every_factor_shares_the_five_tries_and_the_lock(app: TestApp) {
    practice(&app).await;
    let pat = signed_in_with_text(&app).await;
    let (secret, codes) = add_app(&app, &pat).await;
    app.clock.advance(60);
    settle_in_step(&app);

    // 3 wrong app codes and 2 wrong recovery codes end the challenge, even for a right code.
    let browser = app.browser();
    browser.login("pat", STRONG_PASSWORD).await;
    for _ in 0..3 {
        assert_eq!(
            enter(&browser, "app", "000000").await.status,
            StatusCode::UNPROCESSABLE_ENTITY
        );
    }
    for _ in 0..2 {
        assert_eq!(
            enter(&browser, "recovery", "aaaaa-bbbbb").await.status,
            StatusCode::UNPROCESSABLE_ENTITY
        );
    }
    let dead = enter(&browser, "app", &totp_at(&secret, app.clock.now())).await;
    assert_eq!(dead.status, StatusCode::GONE);
    let unused = enter(&browser, "recovery", &codes[0]).await;
    assert_eq!(unused.status, StatusCode::GONE);

    // 20 consecutive failures across challenges lock the second step for an hour.
    for _ in 0..3 {
        let next = app.browser();
        next.login("pat", STRONG_PASSWORD).await;
        for _ in 0..5 {
            enter(&next, "app", "111111").await;
        }
    }
    let locked = app.browser();
    locked.login("pat", STRONG_PASSWORD).await;
    let answer = enter(&locked, "app", &totp_at(&secret, app.clock.now())).await;
    assert_eq!(answer.status, StatusCode::TOO_MANY_REQUESTS, "{}", answer.body);
    assert!(
        app.mail_files()
            .iter()
            .any(|m| m.contains("owner@example.com") && m.contains("pat")),
        "owner e-mailed"
    );
    // A recovery code does not get around the lock either.
    let recovery = enter(&locked, "recovery", &codes[0]).await;
    assert_eq!(recovery.status, StatusCode::TOO_MANY_REQUESTS);
}

async fn the_owner_can_require_the_app_for_staff(app: TestApp) {
    let owner = practice(&app).await;
    create_staff(&owner, "provider", "nophone", "", None).await;
    crate::common::require_app_for_staff(&owner).await;
    let page = owner.get("/options").await;
    assert!(page.body.contains(
        "id=\"f-staff_require_authenticator\" name=\"staff_require_authenticator\" value=\"on\" checked"
    ));
    assert!(
        !page.body.contains("Staff nophone"),
        "not listed as unprotected: the app is required"
    );

    // pat (with a phone): password, one texted code, then the app is set up.
    let browser = app.browser();
    let answer = browser.login("pat", STRONG_PASSWORD).await;
    assert_eq!(answer.location(), Some("/login/verify"));
    let code = app.twilio.last_code_to(PAT_PHONE).expect("a code");
    let verified = enter(&browser, "sms", &code).await;
    assert_eq!(verified.location(), Some("/login/setup"));
    assert_eq!(
        browser.get("/dashboard").await.status,
        StatusCode::SEE_OTHER,
        "nothing opens before the app is set up"
    );
    assert_eq!(browser.get("/").await.location(), Some("/login/setup"));
    let setup = browser.get("/login/setup").await;
    assert!(setup.body.contains("<svg"));
    let secret = base32_decode(&setup.element_text("totp-secret").expect("secret"));
    settle_in_step(&app);
    let done = browser
        .submit(
            "/login/setup",
            "/login/setup",
            &[("code", &totp_at(&secret, app.clock.now()))],
        )
        .await;
    assert_eq!(done.status, StatusCode::OK, "{}", done.body);
    assert_eq!(recovery_codes(&done).len(), 10);
    assert_eq!(latest_factors(&app).await, "password+sms+app");
    assert_eq!(browser.get("/dashboard").await.status, StatusCode::OK);

    // A new browser: the app only; no text offered or sent.
    app.clock.advance(30);
    settle_in_step(&app);
    let other = app.browser();
    other.login("pat", STRONG_PASSWORD).await;
    let verify = other.get("/login/verify").await;
    assert!(!verify.body.contains("Text me a code"));
    let texts = app.twilio.count();
    let csrf = other.csrf_from("/login/verify").await;
    let refused = other.post("/login/verify/resend", &[("csrf_token", &csrf)]).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    assert_eq!(app.twilio.count(), texts, "no text sent");
    let sms = enter(&other, "sms", "123456").await;
    assert_eq!(sms.status, StatusCode::UNPROCESSABLE_ENTITY);
    let ok = enter(&other, "app", &totp_at(&secret, app.clock.now())).await;
    assert_eq!(ok.location(), Some("/"));
    // Removing the required app is refused; replacing it is the way.
    let removal = security_change(&other, STRONG_PASSWORD, "remove_app").await;
    assert_eq!(removal.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(count_rows(&app, "recovery_codes").await, 10);

    // A staff member without a phone goes straight to the set-up after the password.
    let nophone = app.browser();
    let answer = nophone.login("nophone", STRONG_PASSWORD).await;
    assert_eq!(answer.location(), Some("/login/setup"));
    assert!(nophone.get("/login/setup").await.body.contains("<svg"));
    // The owner themself, too (the owner is staff): nothing opens before set-up.
    let owner_again = app.browser();
    assert_eq!(
        owner_again.login("olivia", STRONG_PASSWORD).await.location(),
        Some("/login/setup")
    );
}

async fn managers_reset_factors_with_an_audit_entry_and_an_email(app: TestApp) {
    let owner = practice(&app).await;
    let pat_id = {
        use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
        entities::user::Entity::find()
            .filter(entities::user::Column::Login.eq("pat"))
            .one(&app.db().await)
            .await
            .expect("query")
            .expect("pat")
            .id
    };
    let pat = signed_in_with_text(&app).await;
    add_app(&app, &pat).await;
    let staff_page = owner.get(&format!("/staff/{pat_id}")).await;
    assert!(
        staff_page
            .element_text("factor-summary")
            .unwrap_or_default()
            .contains("10 of 10 recovery codes left")
    );

    // A provider cannot; the owner can.
    create_staff(&owner, "provider", "other", "", None).await;
    let other = app.browser();
    other.login("other", STRONG_PASSWORD).await;
    let csrf = other.csrf_from("/dashboard").await;
    let refused = other
        .post(
            &format!("/staff/{pat_id}/two-factor/reset"),
            &[("csrf_token", &csrf)],
        )
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    assert_eq!(count_rows(&app, "authenticators").await, 1);

    let mails_before = app.mail_files().len();
    let csrf = owner.csrf_from(&format!("/staff/{pat_id}")).await;
    let reset = owner
        .post(
            &format!("/staff/{pat_id}/two-factor/reset"),
            &[("csrf_token", &csrf)],
        )
        .await;
    assert_eq!(reset.status, StatusCode::SEE_OTHER, "{}", reset.body);
    assert_eq!(count_rows(&app, "authenticators").await, 0);
    assert_eq!(count_rows(&app, "recovery_codes").await, 0);
    assert_eq!(audit_details(&app, "two_factor.reset").await.len(), 1);
    let mails = app.mail_files();
    assert_eq!(mails.len(), mails_before + 1);
    assert!(
        mails
            .iter()
            .any(|m| m.contains("pat@example.com") && m.contains("reset"))
    );
    // pat's session ended and the browser's registration is gone: the next sign-in texts.
    assert_eq!(pat.get("/dashboard").await.status, StatusCode::SEE_OTHER);
    let texts = app.twilio.count();
    let again = pat.login("pat", STRONG_PASSWORD).await;
    assert_eq!(again.location(), Some("/login/verify"));
    assert_eq!(app.twilio.count(), texts + 1, "no app any more: a text");
    // An owner resets their own factors on the Security page instead.
    let owner_id = id_of(&app, "olivia").await;
    let csrf = owner.csrf_from("/dashboard").await;
    let own = owner
        .post(
            &format!("/staff/{owner_id}/two-factor/reset"),
            &[("csrf_token", &csrf)],
        )
        .await;
    assert_eq!(own.status, StatusCode::BAD_REQUEST);
}

async fn id_of(app: &TestApp, login: &str) -> i32 {
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
    entities::user::Entity::find()
        .filter(entities::user::Column::Login.eq(login))
        .one(&app.db().await)
        .await
        .expect("query")
        .expect("user")
        .id
}

async fn api_post(app: &TestApp, path: &str, body: Value) -> (StatusCode, Value) {
    crate::common::secrets::note_json(&app.base, &body);
    let response = reqwest::Client::new()
        .post(format!("{}/api/v1{path}", app.base))
        .header("User-Agent", "OutcomesApp/1.0 (iPhone; iOS 18.0)")
        .json(&body)
        .send()
        .await
        .expect("request");
    let status = response.status();
    let answer = response.json().await.unwrap_or(Value::Null);
    crate::common::secrets::note_json(&app.base, &answer);
    (status, answer)
}

async fn the_api_accepts_the_same_factors(app: TestApp) {
    practice(&app).await;
    let pat = signed_in_with_text(&app).await;
    let (secret, codes) = add_app(&app, &pat).await;
    app.clock.advance(30);
    settle_in_step(&app);
    let texts = app.twilio.count();

    let login = json!({"user_id": "pat", "password": STRONG_PASSWORD});
    let (status, challenge) = api_post(&app, "/login", login.clone()).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{challenge}");
    assert_eq!(challenge["methods"], json!(["app", "sms", "recovery"]));
    assert_eq!(challenge["texted"], json!(false));
    assert_eq!(app.twilio.count(), texts, "nothing texted");
    let id = challenge["challenge_id"].as_str().expect("id").to_string();
    let (status, answer) = api_post(
        &app,
        "/login/verify",
        json!({"challenge_id": id, "method": "fax", "code": "123456"}),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(answer["error"]["field"], json!("method"));
    let (status, answer) = api_post(
        &app,
        "/login/verify",
        json!({"challenge_id": id, "code": totp_at(&secret, app.clock.now())}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    assert!(answer["access_token"].is_string() && answer["device_token"].is_string());
    assert_eq!(latest_access_factors(&app).await, "password+app");

    // A recovery code through the API, then the same code again.
    let (_, challenge) = api_post(&app, "/login", login.clone()).await;
    let id = challenge["challenge_id"].as_str().expect("id").to_string();
    let (status, _) = api_post(
        &app,
        "/login/verify",
        json!({"challenge_id": id, "method": "recovery", "code": codes[5]}),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let (_, challenge) = api_post(&app, "/login", login.clone()).await;
    let id = challenge["challenge_id"].as_str().expect("id").to_string();
    let (status, answer) = api_post(
        &app,
        "/login/verify",
        json!({"challenge_id": id, "method": "recovery", "code": codes[5]}),
    )
    .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{answer}");
    assert_eq!(answer["error"]["code"], json!("invalid_code"));

    // "Text me instead" through resend, then the texted code.
    let (status, resent) = api_post(&app, "/login/resend", json!({"challenge_id": id})).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{resent}");
    assert_eq!(resent["texted"], json!(true));
    assert_eq!(app.twilio.count(), texts + 1);
    let code = app.twilio.last_code_to(PAT_PHONE).expect("code");
    let (status, _) = api_post(&app, "/login/verify", json!({"challenge_id": id, "code": code})).await;
    assert_eq!(status, StatusCode::OK, "the text is the default once sent");
    assert_eq!(latest_access_factors(&app).await, "password+sms");
}

async fn latest_access_factors(app: &TestApp) -> String {
    use sea_orm::{EntityTrait, QueryOrder};
    entities::access_token::Entity::find()
        .order_by_desc(entities::access_token::Column::Id)
        .one(&app.db().await)
        .await
        .expect("query")
        .expect("a token")
        .factors
        .to_string()
}

async fn the_api_refuses_texts_and_set_up_when_the_app_is_required(app: TestApp) {
    let owner = practice(&app).await;
    let pat = signed_in_with_text(&app).await;
    add_app(&app, &pat).await;
    create_staff(&owner, "provider", "newbie", "(415) 555-2673", None).await;
    // newbie is half-way through an API sign-in with a text when the owner requires the app.
    let newbie = json!({"user_id": "newbie", "password": STRONG_PASSWORD});
    let (status, half_way) = api_post(&app, "/login", newbie).await;
    assert_eq!(status, StatusCode::ACCEPTED);
    let newbie_code = app.twilio.last_code_to("+14155552673").expect("code");
    crate::common::require_app_for_staff(&owner).await;
    let (status, challenge) = api_post(
        &app,
        "/login",
        json!({"user_id": "pat", "password": STRONG_PASSWORD}),
    )
    .await;
    assert_eq!(status, StatusCode::ACCEPTED);
    assert_eq!(challenge["methods"], json!(["app", "recovery"]));
    let id = challenge["challenge_id"].as_str().expect("id");
    let texts = app.twilio.count();
    let (status, answer) = api_post(&app, "/login/resend", json!({"challenge_id": id})).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(answer["error"]["code"], json!("sms_not_allowed"));
    assert_eq!(app.twilio.count(), texts);
    let (status, answer) = api_post(
        &app,
        "/login",
        json!({"user_id": "newbie", "password": STRONG_PASSWORD}),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(answer["error"]["code"], json!("authenticator_setup_required"));
    let (status, answer) = api_post(
        &app,
        "/login/verify",
        json!({"challenge_id": half_way["challenge_id"], "code": newbie_code}),
    )
    .await;
    assert_eq!(
        status,
        StatusCode::FORBIDDEN,
        "no token without the app: {answer}"
    );
    assert_eq!(answer["error"]["code"], json!("authenticator_setup_required"));

    // Switching the option on revoked the browser pat registered with a text: the app is asked.
    let csrf = pat.csrf_from("/dashboard").await;
    pat.post("/logout", &[("csrf_token", &csrf)]).await;
    assert_eq!(
        pat.login("pat", STRONG_PASSWORD).await.location(),
        Some("/login/verify"),
        "a texted registration no longer counts"
    );
    let changes = audit_details(&app, "options.changed").await;
    assert!(changes.iter().any(|d| d.contains("staff devices revoked")));
}

async fn on_the_mobile_plan_an_app_stands_in_for_a_missing_phone(app: TestApp) {
    // Mobile plan: everyone needs the second step; without a phone, an app lets one in.
    let owner = app.signup("mobile", "olivia", "(415) 555-2670").await;
    let answer = owner.login("olivia", STRONG_PASSWORD).await;
    assert_eq!(answer.location(), Some("/login/verify"));
    let code = app.twilio.last_code_to("+14155552670").expect("owner's code");
    assert_eq!(enter(&owner, "sms", &code).await.location(), Some("/"));
    let (secret, _) = add_app(&app, &owner).await;
    // The owner's phone is removed; the app still lets them in.
    use sea_orm::{ActiveModelTrait, Set};
    let db = app.db().await;
    let owner_id = id_of(&app, "olivia").await;
    entities::user::ActiveModel {
        id: Set(owner_id),
        phone: Set(None),
        ..Default::default()
    }
    .update(&db)
    .await
    .expect("update");
    app.clock.advance(30);
    settle_in_step(&app);
    let browser = app.browser();
    let answer = browser.login("olivia", STRONG_PASSWORD).await;
    assert_eq!(answer.location(), Some("/login/verify"));
    let page = browser.get("/login/verify").await;
    assert!(!page.body.contains("Text me a code"));
    let done = enter(&browser, "app", &totp_at(&secret, app.clock.now())).await;
    assert_eq!(done.location(), Some("/"));
}

async fn a_sealed_secret_opens_only_for_its_person(app: TestApp) {
    let owner = practice(&app).await;
    let pat = signed_in_with_text(&app).await;
    let (secret, _) = add_app(&app, &pat).await;
    create_staff(&owner, "provider", "sam", "(415) 555-2672", None).await;
    // Copy pat's sealed secret onto a row for sam, as someone with database access might.
    use sea_orm::{ActiveModelTrait, EntityTrait, Set};
    let db = app.db().await;
    let pats = entities::authenticator::Entity::find()
        .one(&db)
        .await
        .expect("query")
        .expect("pat's app");
    entities::authenticator::ActiveModel {
        user_id: Set(id_of(&app, "sam").await),
        account_id: Set(pats.account_id),
        secret_sealed: Set(pats.secret_sealed.clone()),
        created_at: Set(pats.created_at),
        confirmed_at: Set(pats.confirmed_at),
        ..Default::default()
    }
    .insert(&db)
    .await
    .expect("insert");
    app.clock.advance(30);
    settle_in_step(&app);
    let browser = app.browser();
    assert_eq!(
        browser.login("sam", STRONG_PASSWORD).await.location(),
        Some("/login/verify")
    );
    let answer = enter(&browser, "app", &totp_at(&secret, app.clock.now())).await;
    assert_eq!(
        answer.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "bound to pat: refused, not a 500"
    );
    // Sam can still get in with a text.
    let csrf = browser.csrf_from("/login/verify").await;
    browser
        .post("/login/verify/resend", &[("csrf_token", &csrf)])
        .await;
    let code = app.twilio.last_code_to("+14155552672").expect("code");
    assert_eq!(enter(&browser, "sms", &code).await.location(), Some("/"));
}

async fn an_unconfirmed_set_up_expires_after_ten_minutes(app: TestApp) {
    practice(&app).await;
    let pat = signed_in_with_text(&app).await;
    let started = security_change(&pat, STRONG_PASSWORD, "add_app").await;
    assert_eq!(started.location(), Some("/security/authenticator"));
    let page = pat.get("/security/authenticator").await;
    let secret = base32_decode(&page.element_text("totp-secret").expect("secret"));
    // Left on screen: ten minutes later the page and its secret are gone (the password is asked
    // again), even though pat's session is kept alive meanwhile.
    for _ in 0..11 {
        app.clock.advance(60);
        assert_eq!(pat.get("/security").await.status, StatusCode::OK);
    }
    assert_eq!(
        pat.get("/security/authenticator").await.location(),
        Some("/security")
    );
    let csrf = pat.csrf_from("/security").await;
    let late = pat
        .post(
            "/security/authenticator",
            &[
                ("csrf_token", &csrf),
                ("code", &totp_at(&secret, app.clock.now())),
            ],
        )
        .await;
    assert_eq!(late.location(), Some("/security"));
    assert_eq!(
        pat.get("/security").await.element_text("app-status").as_deref(),
        Some("Not set up")
    );
}

crate::db_tests!(
    an_unconfirmed_set_up_expires_after_ten_minutes,
    a_sealed_secret_opens_only_for_its_person,
    adding_an_app_needs_the_password_and_a_first_code,
    at_sign_in_the_app_comes_first_and_registers_the_browser,
    a_replayed_code_and_drift_beyond_one_step_are_refused,
    two_concurrent_sign_ins_with_one_app_code_give_one_session,
    text_me_instead_and_recovery_codes_work_once,
    a_new_set_of_recovery_codes_voids_the_old,
    every_factor_shares_the_five_tries_and_the_lock,
    the_owner_can_require_the_app_for_staff,
    managers_reset_factors_with_an_audit_entry_and_an_email,
    the_api_accepts_the_same_factors,
    the_api_refuses_texts_and_set_up_when_the_app_is_required,
    on_the_mobile_plan_an_app_stands_in_for_a_missing_phone,
);
