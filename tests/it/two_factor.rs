//! The SMS second step and device registration (SPEC §2, SECURITY.md code and device tables).

use futures::future::join_all;
use reqwest::StatusCode;

use crate::common::fake_twilio::Behaviour;
use crate::common::{Browser, FIREFOX_UA, STRONG_PASSWORD, TestApp, count_rows, create_client, create_staff};

const PAT_PHONE: &str = "+14155552671";
const SAM_PHONE: &str = "+14155552672";

/// A `pro` practice with staff two-factor on and a provider "pat" who has a phone.
async fn practice(app: &TestApp) -> (Browser, i32) {
    let owner = app.signup("pro", "olivia", "").await;
    owner.login("olivia", STRONG_PASSWORD).await;
    set_options(&owner, true, false).await;
    let pat = create_staff(&owner, "provider", "pat", "(415) 555-2671", None).await;
    (owner, pat)
}

async fn set_options(owner: &Browser, staff: bool, clients: bool) {
    let answer = crate::common::save_options(owner, staff, clients, "365", "15").await;
    assert_eq!(answer.status, StatusCode::SEE_OTHER, "{}", answer.body);
}

/// Password step for `login`; asserts a code was asked for.
async fn password_then_code_page(browser: &Browser, login: &str) {
    let answer = browser.login(login, STRONG_PASSWORD).await;
    assert_eq!(answer.status, StatusCode::SEE_OTHER, "{}", answer.body);
    assert_eq!(answer.location(), Some("/login/verify"));
}

async fn enter_code(browser: &Browser, code: &str) -> crate::common::Answer {
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

fn wrong_code(right: &str) -> String {
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

/// Registers pat on a new browser with a texted code; returns it and its device cookie.
async fn registered_with_cookie(app: &TestApp) -> (Browser, String, String) {
    let browser = app.browser();
    password_then_code_page(&browser, "pat").await;
    let answer = enter_code(&browser, &app.twilio.last_code_to(PAT_PHONE).expect("code")).await;
    let cookie = answer
        .set_cookies()
        .into_iter()
        .find(|c| c.starts_with("outcomes_device_"))
        .expect("device cookie");
    let (name, value) = cookie
        .split(';')
        .next()
        .and_then(|p| p.split_once('='))
        .expect("name=value");
    (browser, name.to_string(), value.to_string())
}

async fn a_copied_device_cookie_alone_opens_nothing(app: TestApp) {
    practice(&app).await;
    let (_registered, name, value) = registered_with_cookie(&app).await;
    let (name, value) = (name.as_str(), value.as_str());
    let thief = app.browser();
    thief.set_cookie(name, value);
    for path in ["/", "/dashboard", "/devices"] {
        assert_ne!(thief.get(path).await.status, StatusCode::OK, "{path}");
    }
    assert_eq!(thief.get("/dashboard").await.location(), Some("/login"));
}

async fn a_different_browser_family_is_a_theft_signal(app: TestApp) {
    practice(&app).await;
    let (browser, name, value) = registered_with_cookie(&app).await;
    let (name, value) = (name.as_str(), value.as_str());
    let firefox = app.browser_with_agent(FIREFOX_UA);
    firefox.set_cookie(name, value);
    password_then_code_page(&firefox, "pat").await;
    let devices = browser.get("/devices").await;
    assert!(
        devices.body.contains("Revoked (theft signal)"),
        "registration revoked"
    );
    let audit = app.db().await;
    use sea_orm::EntityTrait;
    let events = entities::audit_log::Entity::find()
        .all(&audit)
        .await
        .expect("audit");
    assert!(
        events
            .iter()
            .any(|e| { e.details.clone().unwrap_or_default().contains("theft signal") })
    );
    // The original browser now needs a code too.
    let csrf = browser.csrf_from("/dashboard").await;
    browser.post("/logout", &[("csrf_token", &csrf)]).await;
    password_then_code_page(&browser, "pat").await;
}

async fn a_wrong_secret_for_a_known_selector_revokes_the_registration(app: TestApp) {
    practice(&app).await;
    let (browser, name, value) = registered_with_cookie(&app).await;
    let (name, value) = (name.as_str(), value.as_str());
    let (selector, _) = value.split_once('.').expect("selector.secret");
    let forger = app.browser();
    forger.set_cookie(name, &format!("{selector}.{}", "0".repeat(64)));
    password_then_code_page(&forger, "pat").await;
    assert!(
        browser
            .get("/devices")
            .await
            .body
            .contains("Revoked (theft signal)")
    );
}

async fn several_people_on_one_browser_keep_their_own_registrations(app: TestApp) {
    let (owner, _) = practice(&app).await;
    create_staff(&owner, "provider", "sam", SAM_PHONE, None).await;
    let shared = app.browser();
    for (login, phone) in [("pat", PAT_PHONE), ("sam", SAM_PHONE)] {
        password_then_code_page(&shared, login).await;
        assert_eq!(
            enter_code(&shared, &app.twilio.last_code_to(phone).expect("code"))
                .await
                .location(),
            Some("/")
        );
        let csrf = shared.csrf_from("/dashboard").await;
        shared.post("/logout", &[("csrf_token", &csrf)]).await;
    }
    let sent = app.twilio.count();
    for login in ["pat", "sam"] {
        assert_eq!(
            shared.login(login, STRONG_PASSWORD).await.location(),
            Some("/"),
            "{login} needs no code"
        );
        let csrf = shared.csrf_from("/dashboard").await;
        shared.post("/logout", &[("csrf_token", &csrf)]).await;
    }
    assert_eq!(app.twilio.count(), sent);
}

/// Registers pat on a browser; returns it signed in.
async fn registered(app: &TestApp) -> Browser {
    let browser = app.browser();
    password_then_code_page(&browser, "pat").await;
    assert_eq!(
        enter_code(&browser, &app.twilio.last_code_to(PAT_PHONE).expect("code"))
            .await
            .location(),
        Some("/")
    );
    browser
}

async fn sign_out(browser: &Browser) {
    let csrf = browser.csrf_from("/dashboard").await;
    browser.post("/logout", &[("csrf_token", &csrf)]).await;
}

async fn revoking_from_my_devices_asks_for_a_code_again(app: TestApp) {
    practice(&app).await;
    let browser = registered(&app).await;
    let page = browser.get("/devices").await;
    let document = scraper::Html::parse_document(&page.body);
    let selector = scraper::Selector::parse("form[action^='/devices/']").expect("selector");
    let action = document
        .select(&selector)
        .next()
        .and_then(|f| f.value().attr("action"))
        .expect("revoke form")
        .to_string();
    let csrf = page.csrf_token().expect("csrf");
    assert_eq!(
        browser.post(&action, &[("csrf_token", &csrf)]).await.status,
        StatusCode::SEE_OTHER
    );
    sign_out(&browser).await;
    password_then_code_page(&browser, "pat").await;
    // Someone else's device id is not found.
    let other = app.browser();
    other.login("olivia", STRONG_PASSWORD).await;
    let csrf = other.csrf_from("/devices").await;
    assert_eq!(
        other.post(&action, &[("csrf_token", &csrf)]).await.status,
        StatusCode::NOT_FOUND
    );
}

async fn an_owner_revoking_a_staff_members_devices_asks_them_for_a_code(app: TestApp) {
    let (owner, pat) = practice(&app).await;
    let browser = registered(&app).await;
    sign_out(&browser).await;
    let csrf = owner.csrf_from(&format!("/staff/{pat}")).await;
    let answer = owner
        .post(&format!("/staff/{pat}/devices/revoke"), &[("csrf_token", &csrf)])
        .await;
    assert_eq!(answer.status, StatusCode::SEE_OTHER);
    password_then_code_page(&browser, "pat").await;
}

async fn a_password_change_revokes_registrations(app: TestApp) {
    practice(&app).await;
    let browser = registered(&app).await;
    let new_password = "amber kettle orbit 77 meadow";
    let answer = browser
        .submit(
            "/account/password",
            "/account/password",
            &[
                ("current_password", STRONG_PASSWORD),
                ("new_password", new_password),
                ("confirm_password", new_password),
            ],
        )
        .await;
    assert_eq!(answer.status, StatusCode::SEE_OTHER);
    sign_out(&browser).await;
    let again = browser.login("pat", new_password).await;
    assert_eq!(again.location(), Some("/login/verify"));
}

async fn a_phone_change_revokes_registrations(app: TestApp) {
    let (owner, pat) = practice(&app).await;
    let browser = registered(&app).await;
    sign_out(&browser).await;
    let path = format!("/staff/{pat}");
    let answer = owner
        .submit(
            &path,
            &path,
            &[
                ("full_name", "Staff pat"),
                ("password", ""),
                ("role", "provider"),
                ("phone", SAM_PHONE),
                ("email", ""),
                ("supervisor_id", ""),
            ],
        )
        .await;
    assert_eq!(answer.status, StatusCode::SEE_OTHER);
    password_then_code_page(&browser, "pat").await;
    assert_eq!(
        app.twilio
            .messages()
            .last()
            .map(|m| m.to().to_string())
            .as_deref(),
        Some(SAM_PHONE)
    );
}

async fn deactivation_revokes_registrations(app: TestApp) {
    let (owner, pat) = practice(&app).await;
    registered(&app).await;
    let csrf = owner.csrf_from(&format!("/staff/{pat}")).await;
    owner
        .post(&format!("/staff/{pat}/deactivate"), &[("csrf_token", &csrf)])
        .await;
    let page = owner.get(&format!("/staff/{pat}")).await;
    assert!(page.body.contains("Revoked (deactivated)"));
}

async fn the_mobile_plan_always_asks_and_shows_the_switches_locked(app: TestApp) {
    let owner = app.signup("mobile", "olivia", "+1 415 555 2673").await;
    let first = owner.login("olivia", STRONG_PASSWORD).await;
    assert_eq!(first.location(), Some("/login/verify"), "owner needs a code");
    enter_code(&owner, &app.twilio.last_code_to("+14155552673").expect("code")).await;
    let options = owner.get("/options").await;
    assert!(
        options
            .body
            .contains("name=\"staff_two_factor\" value=\"on\" checked disabled")
    );
    assert!(
        options
            .body
            .contains("name=\"client_two_factor\" value=\"on\" checked disabled")
    );
    create_staff(&owner, "provider", "nophone", "", None).await;
    let refused = app.browser().login("nophone", STRONG_PASSWORD).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    assert!(refused.body.contains("Ask your account owner to add one"));
    assert!(
        owner.get("/options").await.body.contains("Staff nophone"),
        "listed as needing a phone"
    );
}

async fn on_pro_staff_without_a_phone_sign_in_with_the_password_and_are_listed(app: TestApp) {
    let (owner, _) = practice(&app).await;
    create_staff(&owner, "provider", "nophone", "", None).await;
    assert_eq!(
        app.browser().login("nophone", STRONG_PASSWORD).await.location(),
        Some("/")
    );
    let options = owner.get("/options").await;
    assert!(options.body.contains("Staff nophone"));
    assert!(options.body.contains("not protected"));
}

async fn clients_need_a_code_only_when_client_two_factor_is_on(app: TestApp) {
    let (owner, pat) = practice(&app).await;
    let (_, login, password) = create_client(&owner, Some(pat), "+1 415 555 2674").await;
    assert_eq!(
        app.browser().login(&login, &password).await.location(),
        Some("/"),
        "off: password only"
    );
    set_options(&owner, true, true).await;
    assert_eq!(
        app.browser().login(&login, &password).await.location(),
        Some("/login/verify")
    );
    assert!(app.twilio.last_code_to("+14155552674").is_some());
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

crate::db_tests!(
    the_eleventh_code_in_a_day_is_refused,
    a_new_browser_needs_a_texted_code_and_is_then_registered,
    a_registered_browser_needs_only_the_password_next_time,
    the_pending_state_opens_nothing_else,
    a_code_is_refused_after_ten_minutes,
    a_used_code_or_another_users_code_never_works,
    the_sixth_try_fails_even_with_the_right_code,
    fifty_concurrent_wrong_tries_accept_none_and_count_exactly,
    two_concurrent_right_tries_give_one_session,
    send_a_new_code_replaces_the_old_one_with_cooldown_and_a_cap,
    the_sixth_code_in_an_hour_is_refused_without_calling_the_provider,
    the_account_budget_stops_texts_and_tells_the_owner,
    twenty_wrong_codes_in_a_row_lock_the_second_step_and_mail_the_owner,
    codes_are_stored_only_as_keyed_hashes,
    a_copied_device_cookie_alone_opens_nothing,
    a_different_browser_family_is_a_theft_signal,
    a_wrong_secret_for_a_known_selector_revokes_the_registration,
    several_people_on_one_browser_keep_their_own_registrations,
    revoking_from_my_devices_asks_for_a_code_again,
    an_owner_revoking_a_staff_members_devices_asks_them_for_a_code,
    a_password_change_revokes_registrations,
    a_phone_change_revokes_registrations,
    deactivation_revokes_registrations,
    the_mobile_plan_always_asks_and_shows_the_switches_locked,
    on_pro_staff_without_a_phone_sign_in_with_the_password_and_are_listed,
    clients_need_a_code_only_when_client_two_factor_is_on,
    twilio_errors_give_a_clear_message_and_a_retry,
);

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
