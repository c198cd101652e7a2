//! Passkeys (SPEC §2.1) through HTTP with a software authenticator: adding one on /security,
//! signing in with it alone, using it as the second step, and every refusal — wrong origin,
//! wrong RP ID, a replayed or stale challenge, a counter going backwards, a removed passkey —
//! plus the owners' and admins' requirement.

use reqwest::StatusCode;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
use serde_json::{Value, json};

use crate::common::passkeys::{self, SoftDevice};
use crate::common::{Backend, Browser, STRONG_PASSWORD, TestApp, create_staff, save_options};

const PAT_PHONE: &str = "+14155552671";

/// POSTs JSON with the page's CSRF token in `X-CSRF-Token`, as passkeys.js does.
pub async fn post_json(browser: &Browser, path: &str, csrf: &str, body: &Value) -> (StatusCode, Value) {
    let response = browser
        .client
        .post(format!("{}{path}", browser.base))
        .header("X-CSRF-Token", csrf)
        .json(body)
        .send()
        .await
        .expect("POST");
    let status = response.status();
    (status, response.json().await.unwrap_or(Value::Null))
}

/// Adds a passkey for the signed-in `browser` from `device`; returns the answer's status.
pub async fn add_passkey(
    app: &TestApp,
    browser: &Browser,
    device: &mut SoftDevice,
    name: &str,
) -> StatusCode {
    let csrf = browser.csrf_from("/security").await;
    let (status, options) = post_json(
        browser,
        "/security/passkeys/options",
        &csrf,
        &json!({"current_password": STRONG_PASSWORD}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{options}");
    let credential = passkeys::register(device, &app.public_url, &options)
        .await
        .expect("the soft authenticator registers");
    post_json(
        browser,
        "/security/passkeys",
        &csrf,
        &json!({"name": name, "credential": credential}),
    )
    .await
    .0
}

/// Starts a passkey sign-in in a new browser; returns it with the request options.
async fn sign_in_options(app: &TestApp) -> (Browser, String, Value) {
    let browser = app.browser();
    let csrf = browser.csrf_from("/login").await;
    let (status, options) = post_json(&browser, "/login/passkey/options", &csrf, &json!({})).await;
    assert_eq!(status, StatusCode::OK, "{options}");
    (browser, csrf, options)
}

async fn finish_sign_in(browser: &Browser, csrf: &str, credential: &Value) -> (StatusCode, Value) {
    post_json(
        browser,
        "/login/passkey",
        csrf,
        &json!({"credential": credential}),
    )
    .await
}

/// Signs in with the device's passkey alone, from a new browser.
pub async fn passkey_sign_in(app: &TestApp, device: &mut SoftDevice) -> (Browser, StatusCode) {
    let (browser, csrf, options) = sign_in_options(app).await;
    let credential = passkeys::authenticate(device, &app.public_url, &options)
        .await
        .expect("the soft authenticator signs");
    let (status, _) = finish_sign_in(&browser, &csrf, &credential).await;
    (browser, status)
}

async fn audit_details(app: &TestApp, action: &str) -> Vec<String> {
    entities::audit_log::Entity::find()
        .filter(entities::audit_log::Column::Action.eq(action))
        .order_by_asc(entities::audit_log::Column::Id)
        .all(&app.db().await)
        .await
        .expect("audit")
        .into_iter()
        .map(|r| r.details.unwrap_or_default())
        .collect()
}

pub(crate) async fn localhost(backend: Backend) -> Option<TestApp> {
    TestApp::spawn_localhost(backend).await
}

async fn a_passkey_added_on_the_security_page_signs_in_alone(backend: Backend) {
    let Some(app) = localhost(backend).await else {
        return;
    };
    let owner = app.signup("pro", "olivia", "").await;
    owner.login("olivia", STRONG_PASSWORD).await;
    let mut laptop = passkeys::device(true);
    assert_eq!(
        add_passkey(&app, &owner, &mut laptop, "Work laptop").await,
        StatusCode::CREATED
    );
    let page = owner.get("/security").await;
    assert!(
        page.element_text("passkeys")
            .is_some_and(|t| t.contains("Work laptop")),
        "listed in #passkeys"
    );
    assert!(
        app.mail_files()
            .iter()
            .any(|m| m.contains("owner@example.com") && m.contains("passkey") && m.contains("added"))
    );

    let (browser, status) = passkey_sign_in(&app, &mut laptop).await;
    assert_eq!(status, StatusCode::OK);
    let dashboard = browser.get("/dashboard").await;
    assert_eq!(dashboard.status, StatusCode::OK, "signed in with no password");
    assert!(
        audit_details(&app, "login.succeeded")
            .await
            .iter()
            .any(|d| d == "factors passkey")
    );
    assert_eq!(audit_details(&app, "passkey.added").await.len(), 1);
    assert_eq!(app.twilio.count(), 0, "no code was texted");
}

async fn the_wrong_current_password_starts_no_ceremony(backend: Backend) {
    let Some(app) = localhost(backend).await else {
        return;
    };
    let owner = app.signup("pro", "olivia", "").await;
    owner.login("olivia", STRONG_PASSWORD).await;
    let csrf = owner.csrf_from("/security").await;
    let (status, answer) = post_json(
        &owner,
        "/security/passkeys/options",
        &csrf,
        &json!({"current_password": "not my password at all"}),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(answer["error"]["field"], json!("current_password"));
    // Without the header the JSON endpoints refuse like a form without its token.
    let (status, _) = post_json(&owner, "/security/passkeys/options", "", &json!({})).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}

async fn assertions_for_another_origin_or_relying_party_are_refused(backend: Backend) {
    let Some(app) = localhost(backend).await else {
        return;
    };
    let owner = app.signup("pro", "olivia", "").await;
    owner.login("olivia", STRONG_PASSWORD).await;
    let mut laptop = passkeys::device(true);
    add_passkey(&app, &owner, &mut laptop, "Laptop").await;

    let (browser, csrf, options) = sign_in_options(&app).await;
    let elsewhere = passkeys::authenticate(&mut laptop, "http://localhost:9", &options)
        .await
        .expect("signed");
    assert_eq!(
        finish_sign_in(&browser, &csrf, &elsewhere).await.0,
        StatusCode::UNAUTHORIZED
    );

    let (browser, csrf, options) = sign_in_options(&app).await;
    let other_party = passkeys::forge(
        &mut laptop,
        "evil.example",
        &app.public_url,
        "webauthn.get",
        &options,
    )
    .await;
    assert_eq!(
        finish_sign_in(&browser, &csrf, &other_party).await.0,
        StatusCode::UNAUTHORIZED
    );

    let (browser, csrf, options) = sign_in_options(&app).await;
    let wrong_kind = passkeys::forge(
        &mut laptop,
        "localhost",
        &app.public_url,
        "webauthn.create",
        &options,
    )
    .await;
    assert_eq!(
        finish_sign_in(&browser, &csrf, &wrong_kind).await.0,
        StatusCode::UNAUTHORIZED
    );

    // The forger itself works: the same assertion, rightly made, signs in.
    let (browser, csrf, options) = sign_in_options(&app).await;
    let right = passkeys::forge(
        &mut laptop,
        "localhost",
        &app.public_url,
        "webauthn.get",
        &options,
    )
    .await;
    assert_eq!(finish_sign_in(&browser, &csrf, &right).await.0, StatusCode::OK);
    assert_eq!(browser.get("/dashboard").await.status, StatusCode::OK);
}

async fn a_challenge_is_used_once(backend: Backend) {
    let Some(app) = localhost(backend).await else {
        return;
    };
    let owner = app.signup("pro", "olivia", "").await;
    owner.login("olivia", STRONG_PASSWORD).await;
    let mut phone = passkeys::device(false);
    add_passkey(&app, &owner, &mut phone, "Phone").await;
    let (browser, csrf, options) = sign_in_options(&app).await;
    let credential = passkeys::authenticate(&mut phone, &app.public_url, &options)
        .await
        .expect("signed");
    assert_eq!(
        finish_sign_in(&browser, &csrf, &credential).await.0,
        StatusCode::OK
    );
    let thief = app.browser();
    let thief_csrf = thief.csrf_from("/login").await;
    assert_eq!(
        finish_sign_in(&thief, &thief_csrf, &credential).await.0,
        StatusCode::UNAUTHORIZED,
        "a replayed assertion finds no challenge"
    );
    // An old assertion against a new challenge.
    let _ = sign_in_options(&app).await;
    assert_eq!(
        finish_sign_in(&thief, &thief_csrf, &credential).await.0,
        StatusCode::UNAUTHORIZED
    );
    // A challenge older than 5 minutes is gone.
    let (browser, csrf, options) = sign_in_options(&app).await;
    let late = passkeys::authenticate(&mut phone, &app.public_url, &options)
        .await
        .expect("signed");
    app.clock.advance(5 * 60 + 1);
    assert_eq!(
        finish_sign_in(&browser, &csrf, &late).await.0,
        StatusCode::UNAUTHORIZED
    );
}

async fn a_counter_going_backwards_is_refused_as_a_clone_signal(backend: Backend) {
    let Some(app) = localhost(backend).await else {
        return;
    };
    let owner = app.signup("pro", "olivia", "").await;
    owner.login("olivia", STRONG_PASSWORD).await;
    let mut laptop = passkeys::device(true);
    add_passkey(&app, &owner, &mut laptop, "Laptop").await;
    assert_eq!(passkey_sign_in(&app, &mut laptop).await.1, StatusCode::OK);
    assert_eq!(passkey_sign_in(&app, &mut laptop).await.1, StatusCode::OK);
    passkeys::rewind_counter(&mut laptop);
    let (browser, status) = passkey_sign_in(&app, &mut laptop).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_ne!(browser.get("/dashboard").await.status, StatusCode::OK);
    let signals = audit_details(&app, "passkey.clone_signal").await;
    assert_eq!(signals.len(), 1);
    assert!(signals[0].contains("counter went backwards"));
}

async fn a_removed_passkey_signs_in_no_more(backend: Backend) {
    let Some(app) = localhost(backend).await else {
        return;
    };
    let owner = app.signup("pro", "olivia", "").await;
    owner.login("olivia", STRONG_PASSWORD).await;
    let mut laptop = passkeys::device(true);
    add_passkey(&app, &owner, &mut laptop, "Laptop").await;
    let id = entities::passkey::Entity::find()
        .one(&app.db().await)
        .await
        .expect("query")
        .expect("the passkey")
        .id;
    let wrong = owner
        .submit(
            "/security",
            &format!("/security/passkeys/{id}/remove"),
            &[("current_password", "not my password at all")],
        )
        .await;
    assert_eq!(wrong.status, StatusCode::UNPROCESSABLE_ENTITY);
    let removed = owner
        .submit(
            "/security",
            &format!("/security/passkeys/{id}/remove"),
            &[("current_password", STRONG_PASSWORD)],
        )
        .await;
    assert_eq!(removed.status, StatusCode::SEE_OTHER);
    assert_eq!(
        passkey_sign_in(&app, &mut laptop).await.1,
        StatusCode::UNAUTHORIZED
    );
    assert!(
        app.mail_files()
            .iter()
            .any(|m| m.contains("passkey") && m.contains("removed"))
    );
    assert_eq!(audit_details(&app, "passkey.removed").await.len(), 1);
}

async fn a_passkey_is_offered_first_as_the_second_step(backend: Backend) {
    let Some(app) = localhost(backend).await else {
        return;
    };
    let owner = app.signup("pro", "olivia", "").await;
    owner.login("olivia", STRONG_PASSWORD).await;
    save_options(&owner, true, false, "365", "15").await;
    create_staff(&owner, "provider", "pat", PAT_PHONE, None).await;
    // Pat registers this browser with a text, then adds a passkey.
    let pat = app.browser();
    pat.login("pat", STRONG_PASSWORD).await;
    let code = app.twilio.last_code_to(PAT_PHONE).expect("code");
    pat.submit("/login/verify", "/login/verify", &[("code", &code)])
        .await;
    let mut phone = passkeys::device(true);
    assert_eq!(
        add_passkey(&app, &pat, &mut phone, "Phone").await,
        StatusCode::CREATED
    );
    let texts = app.twilio.count();

    // A new browser: the password, then the passkey is offered first and nothing is texted.
    let other = app.browser();
    assert_eq!(
        other.login("pat", STRONG_PASSWORD).await.location(),
        Some("/login/verify")
    );
    assert_eq!(
        app.twilio.count(),
        texts,
        "nothing texted while a passkey comes first"
    );
    let page = other.get("/login/verify").await;
    assert!(page.body.contains("id=\"use-passkey\""), "offered first");
    assert!(page.body.contains("Text me a code"), "a text remains available");
    let csrf = page.csrf_token().expect("token");
    let (status, options) = post_json(&other, "/login/verify/passkey/options", &csrf, &json!({})).await;
    assert_eq!(status, StatusCode::OK);
    let credential = passkeys::authenticate(&mut phone, &app.public_url, &options)
        .await
        .expect("signed");
    let done = other
        .post(
            "/login/verify",
            &[
                ("csrf_token", csrf.as_str()),
                ("method", "passkey"),
                ("code", &credential.to_string()),
            ],
        )
        .await;
    assert_eq!(done.status, StatusCode::SEE_OTHER);
    assert_eq!(done.location(), Some("/"));
    assert!(
        done.set_cookies()
            .iter()
            .any(|c| c.starts_with("outcomes_device_")),
        "the browser is registered"
    );
    assert!(
        audit_details(&app, "login.succeeded")
            .await
            .iter()
            .any(|d| d == "factors password+passkey")
    );
}

/// Runs each listed `async fn name(backend)` on SQLite, then on PostgreSQL: a passkey needs the
/// app on `localhost` (an IP address is no relying party), which `db_tests!` does not start.
#[macro_export]
macro_rules! both_databases {
    ($($name:ident),* $(,)?) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $name() {
                super::$name(Backend::Sqlite).await;
                super::$name(Backend::Postgres).await;
            }
        )*
    };
}

mod on_both_databases {
    use super::Backend;

    crate::both_databases!(
        a_passkey_added_on_the_security_page_signs_in_alone,
        the_wrong_current_password_starts_no_ceremony,
        assertions_for_another_origin_or_relying_party_are_refused,
        a_challenge_is_used_once,
        a_counter_going_backwards_is_refused_as_a_clone_signal,
        a_removed_passkey_signs_in_no_more,
        a_passkey_is_offered_first_as_the_second_step,
    );
}
