//! Registered devices: what a copied or stolen cookie opens, several people on one browser, the revocations, and who is asked for a code on each plan (issue 2).

use reqwest::StatusCode;

use super::two_factor::{PAT_PHONE, SAM_PHONE, enter_code, password_then_code_page, practice, set_options};
use crate::common::{Browser, FIREFOX_UA, STRONG_PASSWORD, TestApp, create_client, create_staff};

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

crate::db_tests!(
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
);
