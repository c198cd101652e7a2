//! The mobile app's JSON API (SPEC §4): same sign-in rules, its own device registration, bearer
//! tokens, caseload scoping and JSON errors.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::common::{STRONG_PASSWORD, TestApp, create_client, create_staff, save_options};

const PAT_PHONE: &str = "+14155552671";

pub(crate) struct Reply {
    pub(crate) status: StatusCode,
    pub(crate) headers: reqwest::header::HeaderMap,
    pub(crate) json: Value,
}

pub(crate) async fn call(
    app: &TestApp,
    method: &str,
    path: &str,
    token: Option<&str>,
    body: Option<Value>,
) -> Reply {
    let client = reqwest::Client::new();
    let url = format!("{}/api/v1{path}", app.base);
    let mut request = if method == "GET" {
        client.get(url)
    } else {
        client.post(url)
    };
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    if let Some(body) = body {
        crate::common::secrets::note_json(&app.base, &body);
        request = request.json(&body);
    }
    let response = request.send().await.expect("request");
    let status = response.status();
    let headers = response.headers().clone();
    let text = response.text().await.unwrap_or_default();
    let json = serde_json::from_str(&text).unwrap_or_else(|_| panic!("{path} answered JSON, got: {text}"));
    crate::common::secrets::note_json(&app.base, &json);
    Reply {
        status,
        headers,
        json,
    }
}

pub(crate) async fn login(app: &TestApp, user_id: &str, password: &str, device_token: Option<&str>) -> Reply {
    let mut body = json!({"user_id": user_id, "password": password});
    if let Some(token) = device_token {
        body["device_token"] = json!(token);
    }
    call(app, "POST", "/login", None, Some(body)).await
}

pub(crate) fn code_of(reply: &Reply) -> &str {
    reply.json["error"]["code"].as_str().unwrap_or("")
}

/// A `pro` practice with staff two-factor on, provider "pat" (with phone) and one client.
pub(crate) async fn practice(app: &TestApp) -> (crate::common::Browser, i32, i32) {
    let owner = app.signup("pro", "olivia", "").await;
    owner.login("olivia", STRONG_PASSWORD).await;
    save_options(&owner, true, false, "365", "15").await;
    let pat = create_staff(&owner, "provider", "pat", PAT_PHONE, None).await;
    let (client, _, _) = create_client(&owner, Some(pat), "").await;
    (owner, pat, client)
}

/// Pat signs in through the API with a texted code; returns (access token, device token).
pub(crate) async fn pat_signs_in(app: &TestApp) -> (String, String) {
    let started = login(app, "pat", STRONG_PASSWORD, None).await;
    assert_eq!(started.status, StatusCode::ACCEPTED, "{}", started.json);
    assert_eq!(started.json["phone_hint"], "•••• •••• 2671");
    let expires_in = started.json["expires_in"].as_i64().unwrap_or_default();
    assert!(
        (598..=600).contains(&expires_in),
        "about ten minutes: {expires_in}"
    );
    let challenge = started.json["challenge_id"]
        .as_str()
        .expect("challenge id")
        .to_string();
    let code = app.twilio.last_code_to(PAT_PHONE).expect("code");
    let done = call(
        app,
        "POST",
        "/login/verify",
        None,
        Some(json!({"challenge_id": challenge, "code": code})),
    )
    .await;
    assert_eq!(done.status, StatusCode::OK, "{}", done.json);
    assert_eq!(done.json["token_type"], "Bearer");
    (
        done.json["access_token"]
            .as_str()
            .expect("access token")
            .to_string(),
        done.json["device_token"]
            .as_str()
            .expect("device token")
            .to_string(),
    )
}

async fn a_password_sign_in_returns_a_bearer_token_and_no_cookie(app: TestApp) {
    app.signup("pro", "olivia", "").await;
    let reply = login(&app, "olivia", STRONG_PASSWORD, None).await;
    assert_eq!(reply.status, StatusCode::OK);
    assert!(reply.headers.get("set-cookie").is_none(), "no cookie on the API");
    assert_eq!(reply.json["user"]["role"], "owner");
    assert_eq!(reply.json["expires_in"], 43_200);
    let token = reply.json["access_token"].as_str().expect("token");
    let me = call(&app, "GET", "/me", Some(token), None).await;
    assert_eq!(me.status, StatusCode::OK);
    assert_eq!(me.json["name"], "Olivia Owner");
    assert_eq!(me.json["account"]["name"], "Harbor Counseling");
}

async fn a_web_session_cookie_opens_nothing_on_the_api(app: TestApp) {
    let owner = app.signup("pro", "olivia", "").await;
    owner.login("olivia", STRONG_PASSWORD).await;
    let answer = owner.get("/api/v1/me").await;
    assert_eq!(answer.status, StatusCode::UNAUTHORIZED);
    let body: Value = serde_json::from_str(&answer.body).expect("JSON, never HTML");
    assert_eq!(body["error"]["code"], "unauthorized");
}

async fn wrong_password_and_unknown_user_get_the_same_401(app: TestApp) {
    app.signup("pro", "olivia", "").await;
    let wrong = login(&app, "olivia", "not the right password", None).await;
    let unknown = login(&app, "nobody", "not the right password", None).await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    assert_eq!(code_of(&wrong), "invalid_credentials");
    assert_eq!(wrong.json, unknown.json);
}

async fn the_api_shares_the_web_throttle(app: TestApp) {
    app.signup("pro", "olivia", "").await;
    for _ in 0..10 {
        login(&app, "olivia", "not the right password", None).await;
    }
    let limited = login(&app, "olivia", STRONG_PASSWORD, None).await;
    assert_eq!(limited.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(code_of(&limited), "rate_limited");
    assert!(limited.headers.get("retry-after").is_some());
    assert_eq!(
        app.browser().login("olivia", STRONG_PASSWORD).await.status,
        StatusCode::TOO_MANY_REQUESTS,
        "web too"
    );
}

async fn a_code_registers_the_app_and_its_device_token_skips_the_code(app: TestApp) {
    practice(&app).await;
    let (_, device_token) = pat_signs_in(&app).await;
    let sent = app.twilio.count();
    let again = login(&app, "pat", STRONG_PASSWORD, Some(&device_token)).await;
    assert_eq!(again.status, StatusCode::OK, "{}", again.json);
    assert!(again.json["access_token"].is_string());
    assert_eq!(app.twilio.count(), sent, "no code");
    // The app's registration never helps a browser.
    let browser = app.browser();
    assert_eq!(
        browser.login("pat", STRONG_PASSWORD).await.location(),
        Some("/login/verify")
    );
}

async fn a_browser_registration_never_helps_the_app(app: TestApp) {
    practice(&app).await;
    let browser = app.browser();
    browser.login("pat", STRONG_PASSWORD).await;
    let csrf = browser.csrf_from("/login/verify").await;
    let code = app.twilio.last_code_to(PAT_PHONE).expect("code");
    let answer = browser
        .post("/login/verify", &[("csrf_token", &csrf), ("code", &code)])
        .await;
    let cookie = answer
        .set_cookies()
        .into_iter()
        .find(|c| c.starts_with("outcomes_device_"))
        .expect("browser registered");
    let value = cookie
        .split(';')
        .next()
        .and_then(|p| p.split_once('='))
        .map(|(_, v)| v.to_string())
        .expect("value");
    let reply = login(&app, "pat", STRONG_PASSWORD, Some(&value)).await;
    assert_eq!(
        reply.status,
        StatusCode::ACCEPTED,
        "the browser's token is not the app's"
    );
}

async fn the_app_is_listed_on_my_devices_and_revoked_like_a_browser(app: TestApp) {
    practice(&app).await;
    let (_, device_token) = pat_signs_in(&app).await;
    let browser = app.browser();
    browser.login("pat", STRONG_PASSWORD).await;
    let csrf = browser.csrf_from("/login/verify").await;
    let code = app.twilio.last_code_to(PAT_PHONE).expect("code");
    browser
        .post("/login/verify", &[("csrf_token", &csrf), ("code", &code)])
        .await;
    let page = browser.get("/devices").await;
    assert!(page.body.contains("Outcomes mobile app"));
    let document = scraper::Html::parse_document(&page.body);
    let selector = scraper::Selector::parse("tr").expect("selector");
    let row = document
        .select(&selector)
        .find(|r| r.text().collect::<String>().contains("Outcomes mobile app"))
        .expect("app row")
        .html();
    let action = row
        .split("action=\"")
        .nth(1)
        .and_then(|r| r.split('"').next())
        .expect("revoke action")
        .to_string();
    let csrf = page.csrf_token().expect("csrf");
    assert_eq!(
        browser.post(&action, &[("csrf_token", &csrf)]).await.status,
        StatusCode::SEE_OTHER
    );
    assert_eq!(
        login(&app, "pat", STRONG_PASSWORD, Some(&device_token))
            .await
            .status,
        StatusCode::ACCEPTED
    );
}

async fn a_wrong_code_is_401_and_an_expired_challenge_410(app: TestApp) {
    practice(&app).await;
    let started = login(&app, "pat", STRONG_PASSWORD, None).await;
    let challenge = started.json["challenge_id"]
        .as_str()
        .expect("challenge")
        .to_string();
    let code = app.twilio.last_code_to(PAT_PHONE).expect("code");
    let wrong = if code == "000000" { "111111" } else { "000000" };
    let reply = call(
        &app,
        "POST",
        "/login/verify",
        None,
        Some(json!({"challenge_id": challenge, "code": wrong})),
    )
    .await;
    assert_eq!(reply.status, StatusCode::UNAUTHORIZED);
    assert_eq!(code_of(&reply), "invalid_code");
    app.clock.advance(601);
    let late = call(
        &app,
        "POST",
        "/login/verify",
        None,
        Some(json!({"challenge_id": challenge, "code": code})),
    )
    .await;
    assert_eq!(late.status, StatusCode::GONE);
    assert_eq!(code_of(&late), "challenge_expired");
}

async fn resend_answers_202_and_respects_the_cooldown(app: TestApp) {
    practice(&app).await;
    let started = login(&app, "pat", STRONG_PASSWORD, None).await;
    let challenge = started.json["challenge_id"].clone();
    let soon = call(
        &app,
        "POST",
        "/login/resend",
        None,
        Some(json!({"challenge_id": challenge})),
    )
    .await;
    assert_eq!(soon.status, StatusCode::TOO_MANY_REQUESTS);
    app.clock.advance(31);
    let later = call(
        &app,
        "POST",
        "/login/resend",
        None,
        Some(json!({"challenge_id": challenge})),
    )
    .await;
    assert_eq!(later.status, StatusCode::ACCEPTED, "{}", later.json);
    assert_eq!(app.twilio.count(), 2);
}

async fn logout_and_deactivation_revoke_tokens(app: TestApp) {
    let (owner, pat, _) = practice(&app).await;
    let (token, _) = pat_signs_in(&app).await;
    let out = call(&app, "POST", "/logout", Some(&token), None).await;
    assert_eq!(out.status, StatusCode::OK);
    assert_eq!(
        call(&app, "GET", "/me", Some(&token), None).await.status,
        StatusCode::UNAUTHORIZED
    );
    let second = login(&app, "olivia", STRONG_PASSWORD, None).await;
    let owner_token = second.json["access_token"].as_str().expect("token").to_string();
    let (pat_token, _) = pat_signs_in(&app).await;
    let csrf = owner.csrf_from(&format!("/staff/{pat}")).await;
    owner
        .post(&format!("/staff/{pat}/deactivate"), &[("csrf_token", &csrf)])
        .await;
    assert_eq!(
        call(&app, "GET", "/me", Some(&pat_token), None).await.status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        call(&app, "GET", "/me", Some(&owner_token), None).await.status,
        StatusCode::OK
    );
}

async fn tokens_expire_after_the_idle_limit(app: TestApp) {
    app.signup("pro", "olivia", "").await;
    let reply = login(&app, "olivia", STRONG_PASSWORD, None).await;
    let token = reply.json["access_token"].as_str().expect("token").to_string();
    app.clock.advance(14 * 60);
    assert_eq!(
        call(&app, "GET", "/me", Some(&token), None).await.status,
        StatusCode::OK
    );
    app.clock.advance(15 * 60 + 1);
    assert_eq!(
        call(&app, "GET", "/me", Some(&token), None).await.status,
        StatusCode::UNAUTHORIZED
    );
}

crate::db_tests!(
    a_password_sign_in_returns_a_bearer_token_and_no_cookie,
    a_web_session_cookie_opens_nothing_on_the_api,
    wrong_password_and_unknown_user_get_the_same_401,
    the_api_shares_the_web_throttle,
    a_code_registers_the_app_and_its_device_token_skips_the_code,
    a_browser_registration_never_helps_the_app,
    the_app_is_listed_on_my_devices_and_revoked_like_a_browser,
    a_wrong_code_is_401_and_an_expired_challenge_410,
    resend_answers_202_and_respects_the_cooldown,
    logout_and_deactivation_revoke_tokens,
    tokens_expire_after_the_idle_limit,
);
