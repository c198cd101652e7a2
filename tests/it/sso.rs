//! Single sign-on (SPEC §2.3) against a real OpenID provider on 127.0.0.1 (`oidc-provider-mock`,
//! started per test): the owner's settings, linking, sign-in in both modes, the second step on
//! top, and every refusal the provider can produce (the rest by tampering with the callback).

use reqwest::StatusCode;
use serde_json::json;

use crate::common::oidc_provider::OidcProvider;
use crate::common::{Answer, Browser, STRONG_PASSWORD, TestApp, count_rows, create_staff, save_options};

const PAT_PHONE: &str = "+14155552671";
pub(crate) const PRACTICE: &str = "harbor";

/// A `pro` practice (staff two-factor on) with provider "pat" (phone, pat@example.com), and the
/// provider running. `None` when the provider's package is missing (skipped).
pub(crate) async fn practice(app: &TestApp) -> Option<(OidcProvider, Browser, i32)> {
    let provider = OidcProvider::start().await?;
    let owner = app.signup("pro", "olivia", "").await;
    owner.login("olivia", STRONG_PASSWORD).await;
    let saved = save_options(&owner, true, false, "365", "15").await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.body);
    let pat = create_staff(&owner, "provider", "pat", PAT_PHONE, None).await;
    Some((provider, owner, pat))
}

async fn save_sso(
    owner: &Browser,
    issuer: &str,
    mode: &str,
    second_step: bool,
    link_by_email: bool,
) -> Answer {
    let flag = |on: bool| if on { "on" } else { "" };
    owner
        .submit(
            "/options",
            "/options/sso",
            &[
                ("practice", PRACTICE),
                ("sso_issuer", issuer),
                ("sso_client_id", "outcomes-client"),
                ("sso_client_secret", "s3cret-value-from-the-idp"),
                ("sso_mode", mode),
                ("sso_second_step", flag(second_step)),
                ("sso_link_by_email", flag(link_by_email)),
            ],
        )
        .await
}

pub(crate) async fn enable(
    owner: &Browser,
    issuer: &str,
    mode: &str,
    second_step: bool,
    link_by_email: bool,
) {
    let answer = save_sso(owner, issuer, mode, second_step, link_by_email).await;
    assert_eq!(answer.status, StatusCode::SEE_OTHER, "{}", answer.body);
}

/// The app's path in a URL the provider sends the browser back to.
pub(crate) fn local(url: &str) -> String {
    let at = url.find("/login/sso/callback").expect("the app's callback");
    url[at..].to_string()
}

/// Opens the practice's link; returns the provider's authorization URL it redirects to.
pub(crate) async fn start(browser: &Browser) -> String {
    let answer = browser.get(&format!("/sso/{PRACTICE}")).await;
    assert_eq!(answer.status, StatusCode::SEE_OTHER, "{}", answer.body);
    let to = answer.location().expect("to the provider").to_string();
    assert!(to.contains("code_challenge_method=S256"), "PKCE S256: {to}");
    assert!(to.contains("nonce=") && to.contains("state="), "{to}");
    assert!(
        to.contains("scope=openid+email+profile") || to.contains("scope=openid%20email%20profile"),
        "{to}"
    );
    to
}

/// A whole SSO sign-in as `sub`: the callback's answer.
pub(crate) async fn sso_sign_in(browser: &Browser, provider: &OidcProvider, sub: &str) -> Answer {
    let to = start(browser).await;
    let back = provider.answer(&to, Some(sub)).await;
    browser.get(&local(&back)).await
}

async fn password_and_code(app: &TestApp, browser: &Browser, login: &str, phone: &str) {
    let answer = browser.login(login, STRONG_PASSWORD).await;
    assert_eq!(answer.location(), Some("/login/verify"), "{}", answer.body);
    enter_code(app, browser, phone).await;
}

async fn enter_code(app: &TestApp, browser: &Browser, phone: &str) {
    let code = app.twilio.last_code_to(phone).expect("a code");
    let csrf = browser.csrf_from("/login/verify").await;
    let answer = browser
        .post("/login/verify", &[("csrf_token", &csrf), ("code", &code)])
        .await;
    assert_eq!(answer.status, StatusCode::SEE_OTHER, "{}", answer.body);
    assert_eq!(answer.location(), Some("/"));
}

/// Pat, signed in with the password and a code in `browser`, links `sub` from Security.
pub(crate) async fn link(app: &TestApp, provider: &OidcProvider, browser: &Browser, sub: &str) {
    password_and_code(app, browser, "pat", PAT_PHONE).await;
    let security = browser.get("/security").await;
    assert!(security.element_text("sso-link").is_some(), "{}", security.body);
    let to = browser.submit("/security", "/security/sso/link", &[]).await;
    assert_eq!(to.status, StatusCode::SEE_OTHER, "{}", to.body);
    let back = provider
        .answer(to.location().expect("to the provider"), Some(sub))
        .await;
    let linked = browser.get(&local(&back)).await;
    assert_eq!(linked.location(), Some("/security?sso=linked"), "{}", linked.body);
}

async fn latest_login_details(app: &TestApp) -> String {
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
    entities::audit_log::Entity::find()
        .filter(entities::audit_log::Column::Action.eq("login.succeeded"))
        .order_by_desc(entities::audit_log::Column::Id)
        .one(&app.db().await)
        .await
        .expect("query")
        .and_then(|row| row.details)
        .unwrap_or_default()
}

pub(crate) async fn signed_in(browser: &Browser) -> bool {
    browser.get("/dashboard").await.status == StatusCode::OK
}

async fn the_owner_saves_sso_only_after_the_discovery_document_loads(app: TestApp) {
    let Some((provider, owner, _)) = practice(&app).await else {
        return;
    };
    let page = owner.get("/options").await;
    assert_eq!(
        page.element_text("sso-redirect-uri"),
        Some(format!("{}/login/sso/callback", app.public_url))
    );
    // Nothing listens there: refused with the reason, nothing saved.
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("port")
        .port();
    let down = save_sso(
        &owner,
        &format!("http://127.0.0.1:{closed}"),
        "optional",
        false,
        false,
    )
    .await;
    assert_eq!(down.status, StatusCode::UNPROCESSABLE_ENTITY);
    let errors = crate::common::form_errors(&down);
    assert!(
        errors
            .get("sso_issuer")
            .is_some_and(|e| e.contains("discovery document")),
        "{errors:?}"
    );
    assert_eq!(
        crate::common::attr(&down, "#f-sso_client_id", "value").as_deref(),
        Some("outcomes-client"),
        "typed values survive"
    );
    // Plain http is for this machine only.
    let remote = save_sso(&owner, "http://idp.example.com", "optional", false, false).await;
    assert_eq!(remote.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(crate::common::form_errors(&remote).contains_key("sso_issuer"));
    // An issuer that is not exactly the provider's (its document names another).
    let other = save_sso(&owner, &format!("{}/", provider.issuer), "optional", false, false).await;
    assert_eq!(other.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", other.body);
    assert_eq!(count_rows(&app, "sso_settings").await, 0);

    enable(&owner, &provider.issuer, "optional", false, false).await;
    let page = owner.get("/options?sso_saved=true").await;
    assert_eq!(
        page.element_text("sso-practice-link"),
        Some(format!("{}/sso/{PRACTICE}", app.public_url))
    );
    assert!(page.element_text("sso-secret-set").is_some());
    assert!(
        !page.body.contains("s3cret-value-from-the-idp"),
        "the secret is write-only"
    );
    use sea_orm::EntityTrait;
    let stored = entities::sso_settings::Entity::find()
        .one(&app.db().await)
        .await
        .expect("query")
        .expect("saved");
    assert!(
        stored.client_secret_sealed.is_some_and(|s| !s.contains("s3cret")),
        "sealed at rest"
    );
}

async fn an_unknown_practice_or_one_with_sso_off_answers_404(app: TestApp) {
    let Some((provider, owner, _)) = practice(&app).await else {
        return;
    };
    assert_eq!(
        app.browser().get("/sso/no-such-practice").await.status,
        StatusCode::NOT_FOUND
    );
    enable(&owner, &provider.issuer, "off", false, false).await;
    assert_eq!(
        app.browser().get(&format!("/sso/{PRACTICE}")).await.status,
        StatusCode::NOT_FOUND
    );
}

async fn a_linked_staff_member_signs_in_through_the_provider(app: TestApp) {
    let Some((provider, owner, _)) = practice(&app).await else {
        return;
    };
    enable(&owner, &provider.issuer, "optional", false, false).await;
    link(&app, &provider, &app.browser(), "pat-at-idp").await;
    let browser = app.browser();
    let answer = sso_sign_in(&browser, &provider, "pat-at-idp").await;
    assert_eq!(answer.status, StatusCode::SEE_OTHER, "{}", answer.body);
    assert_eq!(answer.location(), Some("/"));
    assert!(signed_in(&browser).await);
    assert_eq!(latest_login_details(&app).await, "factors sso");
    // Security shows the link, and unlinking ends it.
    let security = browser.get("/security").await;
    assert!(
        security
            .element_text("sso-status")
            .is_some_and(|t| t.contains("Linked")),
        "{}",
        security.body
    );
    let unlinked = browser.submit("/security", "/security/sso/unlink", &[]).await;
    assert_eq!(unlinked.location(), Some("/security?sso=unlinked"));
    assert_eq!(
        sso_sign_in(&app.browser(), &provider, "pat-at-idp").await.status,
        StatusCode::FORBIDDEN
    );
    // Optional: the password still works (with its code).
    password_and_code(&app, &app.browser(), "pat", PAT_PHONE).await;
}

async fn an_unlinked_identity_is_told_how_to_link(app: TestApp) {
    let Some((provider, owner, _)) = practice(&app).await else {
        return;
    };
    enable(&owner, &provider.issuer, "optional", false, false).await;
    let browser = app.browser();
    let answer = sso_sign_in(&browser, &provider, "stranger").await;
    assert_eq!(answer.status, StatusCode::FORBIDDEN);
    assert!(
        answer
            .element_text("sso-error")
            .is_some_and(|t| t.contains("not linked") && t.contains("Security")),
        "{}",
        answer.body
    );
    assert!(!signed_in(&browser).await);
    assert_eq!(count_rows(&app, "sso_identities").await, 0);
}

async fn the_second_step_applies_on_top_and_a_registered_browser_skips_it(app: TestApp) {
    let Some((provider, owner, _)) = practice(&app).await else {
        return;
    };
    enable(&owner, &provider.issuer, "optional", true, false).await;
    // Pat registers this browser with a code while signing in with the password, and links.
    let registered = app.browser();
    link(&app, &provider, &registered, "pat-at-idp").await;
    let csrf = registered.csrf_from("/dashboard").await;
    registered.post("/logout", &[("csrf_token", &csrf)]).await;

    // An unregistered browser: SSO, then the texted code, then in (and now registered).
    let fresh = app.browser();
    let texts = app.twilio.count();
    let answer = sso_sign_in(&fresh, &provider, "pat-at-idp").await;
    assert_eq!(answer.location(), Some("/login/verify"), "{}", answer.body);
    assert!(!signed_in(&fresh).await, "a pending sign-in opens nothing");
    assert_eq!(app.twilio.count(), texts + 1);
    enter_code(&app, &fresh, PAT_PHONE).await;
    assert!(signed_in(&fresh).await);
    assert_eq!(latest_login_details(&app).await, "factors sso+sms");
    let csrf = fresh.csrf_from("/dashboard").await;
    fresh.post("/logout", &[("csrf_token", &csrf)]).await;
    let again = sso_sign_in(&fresh, &provider, "pat-at-idp").await;
    assert_eq!(again.location(), Some("/"), "{}", again.body);
    assert_eq!(latest_login_details(&app).await, "factors sso+device");

    // The browser registered after the password is registered for SSO too.
    let answer = sso_sign_in(&registered, &provider, "pat-at-idp").await;
    assert_eq!(answer.location(), Some("/"), "{}", answer.body);
    assert_eq!(latest_login_details(&app).await, "factors sso+device");
    assert_eq!(app.twilio.count(), texts + 1, "no more texts");
}

async fn required_mode_refuses_linked_staff_a_password_but_the_owner_keeps_hers(app: TestApp) {
    let Some((provider, owner, _)) = practice(&app).await else {
        return;
    };
    enable(&owner, &provider.issuer, "required", false, false).await;
    create_staff(&owner, "provider", "sam", "+14155552672", None).await;
    link(&app, &provider, &app.browser(), "pat-at-idp").await;
    let refused = app.browser().login("pat", STRONG_PASSWORD).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    assert!(
        refused
            .element_text("login-error")
            .is_some_and(|t| t.contains(&format!("/sso/{PRACTICE}"))),
        "{}",
        refused.body
    );
    let api = reqwest::Client::new()
        .post(format!("{}/api/v1/login", app.base))
        .json(&json!({"user_id": "pat", "password": STRONG_PASSWORD}))
        .send()
        .await
        .expect("api");
    assert_eq!(api.status(), StatusCode::FORBIDDEN);
    let body: serde_json::Value = api.json().await.expect("json");
    assert_eq!(body["error"]["code"], "sso_required");
    // Not yet linked: the password still works (so they can link).
    assert_eq!(
        app.browser().login("sam", STRONG_PASSWORD).await.location(),
        Some("/login/verify")
    );
    // Break-glass: the owner always keeps the password.
    let owner_again = app.browser().login("olivia", STRONG_PASSWORD).await;
    assert_eq!(owner_again.status, StatusCode::SEE_OTHER, "{}", owner_again.body);
    // And pat gets in through the provider.
    let browser = app.browser();
    assert_eq!(
        sso_sign_in(&browser, &provider, "pat-at-idp").await.location(),
        Some("/")
    );
}

crate::db_tests!(
    the_owner_saves_sso_only_after_the_discovery_document_loads,
    an_unknown_practice_or_one_with_sso_off_answers_404,
    a_linked_staff_member_signs_in_through_the_provider,
    an_unlinked_identity_is_told_how_to_link,
    the_second_step_applies_on_top_and_a_registered_browser_skips_it,
    required_mode_refuses_linked_staff_a_password_but_the_owner_keeps_hers,
);
