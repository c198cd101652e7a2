//! Single sign-on refusals: another browser or a replay, a wrong nonce, the provider's refusal or outage, deactivated staff, e-mail linking's limits, tampered, expired and slow tokens (issue 15).

use reqwest::StatusCode;
use serde_json::json;

use super::sso::{PRACTICE, enable, link, local, practice, signed_in, sso_sign_in, start};
use crate::common::oidc_provider::{OidcProvider, Tamper, TamperingProxy};
use crate::common::{Answer, Browser, STRONG_PASSWORD, TestApp, count_rows};

/// The callback answered `status` with a page whose `#sso-error` says `says`, and nobody is
/// signed in on `browser`.
async fn assert_refused(browser: &Browser, answer: &Answer, status: StatusCode, says: &str) {
    assert_eq!(answer.status, status, "{}", answer.body);
    assert!(
        answer.element_text("sso-error").is_some_and(|t| t.contains(says)),
        "{}",
        answer.body
    );
    assert!(!signed_in(browser).await);
}

async fn a_callback_from_another_browser_or_a_replay_is_refused(app: TestApp) {
    let Some((provider, owner, _)) = practice(&app).await else {
        return;
    };
    enable(&owner, &provider.issuer, "optional", false, false).await;
    link(&app, &provider, &app.browser(), "pat-at-idp").await;
    let victim = app.browser();
    let to = start(&victim).await;
    let back = local(&provider.answer(&to, Some("pat-at-idp")).await);
    // Another browser (no flow cookie) brings the callback: state mismatch.
    let attacker = app.browser();
    let answer = attacker.get(&back).await;
    assert_eq!(answer.status, StatusCode::BAD_REQUEST);
    assert!(answer.element_text("sso-error").is_some());
    assert!(!signed_in(&attacker).await);
    // A callback whose state was tampered with, in the right browser.
    let tampered = back.replace("state=", "state=x");
    let copy = app.browser();
    let flow_cookie = victim.cookie("outcomes_sso").expect("the flow cookie");
    copy.set_cookie("outcomes_sso", &flow_cookie);
    assert_eq!(copy.get(&tampered).await.status, StatusCode::BAD_REQUEST);
    // The right browser gets in once; the same answer replayed (same cookie) is refused.
    assert_eq!(victim.get(&back).await.location(), Some("/"));
    let replay = app.browser();
    replay.set_cookie("outcomes_sso", &flow_cookie);
    let answer = replay.get(&back).await;
    assert_eq!(answer.status, StatusCode::BAD_REQUEST);
    assert!(!signed_in(&replay).await);
}

async fn an_id_token_with_another_nonce_is_refused(app: TestApp) {
    let Some((provider, owner, _)) = practice(&app).await else {
        return;
    };
    enable(&owner, &provider.issuer, "optional", false, false).await;
    link(&app, &provider, &app.browser(), "pat-at-idp").await;
    let browser = app.browser();
    let to = start(&browser).await;
    // The provider is asked for a token with a nonce this sign-in never issued.
    let nonce_at = to.find("nonce=").expect("nonce") + "nonce=".len();
    let tampered = format!("{}forged{}", &to[..nonce_at], &to[nonce_at..]);
    let back = provider.answer(&tampered, Some("pat-at-idp")).await;
    let answer = browser.get(&local(&back)).await;
    assert_refused(&browser, &answer, StatusCode::UNAUTHORIZED, "nonce").await;
}

async fn a_refusal_at_the_provider_signs_nobody_in(app: TestApp) {
    let Some((provider, owner, _)) = practice(&app).await else {
        return;
    };
    enable(&owner, &provider.issuer, "optional", false, false).await;
    let browser = app.browser();
    let to = start(&browser).await;
    let back = provider.answer(&to, None).await;
    assert!(back.contains("error=access_denied"), "{back}");
    let answer = browser.get(&local(&back)).await;
    assert_refused(&browser, &answer, StatusCode::UNAUTHORIZED, "access denied").await;
}

async fn a_provider_that_is_down_gets_a_clear_page(app: TestApp) {
    let Some((mut provider, owner, _)) = practice(&app).await else {
        return;
    };
    enable(&owner, &provider.issuer, "optional", false, false).await;
    link(&app, &provider, &app.browser(), "pat-at-idp").await;
    // Down between the authorization and the code exchange.
    let browser = app.browser();
    let to = start(&browser).await;
    let back = provider.answer(&to, Some("pat-at-idp")).await;
    provider.stop();
    let answer = browser.get(&local(&back)).await;
    assert_refused(&browser, &answer, StatusCode::BAD_GATEWAY, "could not be reached").await;
    // Down before the sign-in starts.
    let answer = app.browser().get(&format!("/sso/{PRACTICE}")).await;
    assert_eq!(answer.status, StatusCode::BAD_GATEWAY);
}

async fn a_deactivated_staff_member_cannot_sign_in_through_the_provider(app: TestApp) {
    let Some((provider, owner, pat)) = practice(&app).await else {
        return;
    };
    enable(&owner, &provider.issuer, "optional", false, false).await;
    link(&app, &provider, &app.browser(), "pat-at-idp").await;
    let csrf = owner.csrf_from(&format!("/staff/{pat}")).await;
    owner
        .post(&format!("/staff/{pat}/deactivate"), &[("csrf_token", &csrf)])
        .await;
    let browser = app.browser();
    let answer = sso_sign_in(&browser, &provider, "pat-at-idp").await;
    assert_eq!(answer.status, StatusCode::FORBIDDEN, "{}", answer.body);
    assert!(!signed_in(&browser).await);
}

async fn a_verified_email_links_at_first_sign_in_but_not_an_unverified_or_shared_one(app: TestApp) {
    let Some((provider, owner, pat)) = practice(&app).await else {
        return;
    };
    enable(&owner, &provider.issuer, "optional", false, true).await;
    // Unverified: refused, nothing linked.
    provider
        .set_user(
            "pat-unverified",
            json!({"email": "pat@example.com", "email_verified": false}),
        )
        .await;
    let browser = app.browser();
    let answer = sso_sign_in(&browser, &provider, "pat-unverified").await;
    assert_eq!(answer.status, StatusCode::FORBIDDEN);
    assert!(
        answer
            .element_text("sso-error")
            .is_some_and(|t| t.contains("not verified")),
        "{}",
        answer.body
    );
    assert_eq!(count_rows(&app, "sso_identities").await, 0);
    // Verified, any case: linked and signed in.
    provider
        .set_user(
            "pat-verified",
            json!({"email": "PAT@Example.com", "email_verified": true}),
        )
        .await;
    let answer = sso_sign_in(&browser, &provider, "pat-verified").await;
    assert_eq!(answer.location(), Some("/"), "{}", answer.body);
    assert_eq!(count_rows(&app, "sso_identities").await, 1);
    // Clients never: a client's verified address links nothing.
    let client = owner
        .submit(
            "/clients/new",
            "/clients/new",
            &[
                ("first_name", "Casey"),
                ("last_name", "Client"),
                ("age_group", "adult"),
                ("phone", ""),
                ("email", "casey@example.com"),
                ("provider_id", &pat.to_string()),
            ],
        )
        .await;
    assert_eq!(client.status, StatusCode::OK, "{}", client.body);
    provider
        .set_user(
            "casey",
            json!({"email": "casey@example.com", "email_verified": true}),
        )
        .await;
    let casey = app.browser();
    assert_eq!(
        sso_sign_in(&casey, &provider, "casey").await.status,
        StatusCode::FORBIDDEN
    );
    assert!(!signed_in(&casey).await);
    assert_eq!(count_rows(&app, "sso_identities").await, 1);
    // Two staff members share an address: it cannot pick one.
    let first = owner
        .submit(
            "/staff/new",
            "/staff/new",
            &[
                ("full_name", "Twin One"),
                ("user_id", "twin1"),
                ("password", STRONG_PASSWORD),
                ("role", "provider"),
                ("phone", ""),
                ("email", "twin@example.com"),
                ("supervisor_id", ""),
            ],
        )
        .await;
    assert_eq!(first.status, StatusCode::SEE_OTHER, "{}", first.body);
    let second = owner
        .submit(
            "/staff/new",
            "/staff/new",
            &[
                ("full_name", "Twin Two"),
                ("user_id", "twin2"),
                ("password", STRONG_PASSWORD),
                ("role", "provider"),
                ("phone", ""),
                ("email", "twin@example.com"),
                ("supervisor_id", ""),
            ],
        )
        .await;
    assert_eq!(second.status, StatusCode::SEE_OTHER, "{}", second.body);
    provider
        .set_user(
            "twin",
            json!({"email": "twin@example.com", "email_verified": true}),
        )
        .await;
    let other = app.browser();
    let answer = sso_sign_in(&other, &provider, "twin").await;
    assert_eq!(answer.status, StatusCode::CONFLICT, "{}", answer.body);
    assert!(
        answer
            .element_text("sso-error")
            .is_some_and(|t| t.contains("more than one person"))
    );
    assert!(!signed_in(&other).await);
    assert_eq!(count_rows(&app, "sso_identities").await, 1);
}

/// Behind a man in the middle that changes the token answer, the ID token fails its checks:
/// another audience, another issuer, a claim changed after signing.
async fn a_tampered_id_token_is_refused(app: TestApp) {
    let Some((provider, owner, _)) = practice(&app).await else {
        return;
    };
    for (tamper, words) in [
        (Tamper::Audience, "another application"),
        (Tamper::Issuer, "another issuer"),
        (Tamper::Signature, "signature"),
    ] {
        let proxy = TamperingProxy::start(&provider, tamper).await;
        enable(&owner, &proxy.issuer, "optional", false, false).await;
        let browser = app.browser();
        let answer = sso_sign_in(&browser, &provider, "pat-at-idp").await;
        assert_eq!(
            answer.status,
            StatusCode::UNAUTHORIZED,
            "{tamper:?}: {}",
            answer.body
        );
        assert!(
            answer
                .element_text("sso-error")
                .is_some_and(|t| t.contains(words)),
            "{tamper:?}: {}",
            answer.body
        );
        assert!(!signed_in(&browser).await);
    }
    assert_eq!(count_rows(&app, "sso_identities").await, 0);
}

/// The provider's tokens live one second; the answer is held back two.
async fn an_expired_id_token_is_refused(app: TestApp) {
    let Some(provider) = OidcProvider::start_with(&["--token-max-age", "1"]).await else {
        return;
    };
    let owner = app.signup("pro", "olivia", "").await;
    owner.login("olivia", STRONG_PASSWORD).await;
    let proxy = TamperingProxy::start(&provider, Tamper::Delay(std::time::Duration::from_secs(2))).await;
    enable(&owner, &proxy.issuer, "optional", false, false).await;
    let browser = app.browser();
    let answer = sso_sign_in(&browser, &provider, "anyone").await;
    assert_eq!(answer.status, StatusCode::UNAUTHORIZED, "{}", answer.body);
    assert!(
        answer
            .element_text("sso-error")
            .is_some_and(|t| t.contains("expired")),
        "{}",
        answer.body
    );
}

/// A provider that does not answer the code exchange within 10 s: given up on, with a page.
async fn a_slow_provider_is_given_up_on_after_ten_seconds(app: TestApp) {
    let Some((provider, owner, _)) = practice(&app).await else {
        return;
    };
    let proxy = TamperingProxy::start(&provider, Tamper::Delay(std::time::Duration::from_secs(12))).await;
    enable(&owner, &proxy.issuer, "optional", false, false).await;
    let browser = app.browser();
    let to = start(&browser).await;
    let back = provider.answer(&to, Some("pat-at-idp")).await;
    let started = std::time::Instant::now();
    let answer = browser.get(&local(&back)).await;
    let waited = started.elapsed();
    assert_eq!(answer.status, StatusCode::BAD_GATEWAY, "{}", answer.body);
    // 502 (not a session): it gave up before the provider's answer came, 12 s after.
    assert!(
        waited >= std::time::Duration::from_secs(10),
        "gave up after {waited:?}"
    );
    assert!(!signed_in(&browser).await);
}

/// Anyone may open the practice's link, and each start costs a row and a call to the provider:
/// an address that starts more than 20 in ten minutes waits, and is told so.
async fn an_address_that_starts_too_many_sign_ins_waits(app: TestApp) {
    let Some((provider, owner, _)) = practice(&app).await else {
        return;
    };
    enable(&owner, &provider.issuer, "optional", false, false).await;
    let browser = app.browser();
    for _ in 0..20 {
        start(&browser).await;
    }
    let refused = browser.get(&format!("/sso/{PRACTICE}")).await;
    assert_eq!(refused.status, StatusCode::TOO_MANY_REQUESTS, "{}", refused.body);
    assert!(
        refused.body.contains("Too many single sign-on attempts"),
        "{}",
        refused.body
    );
    assert!(refused.location().is_none(), "no trip to the provider");
    // Ten minutes on, the address may start again.
    app.clock.advance(10 * 60 + 1);
    start(&browser).await;
}

crate::db_tests!(
    an_address_that_starts_too_many_sign_ins_waits,
    a_callback_from_another_browser_or_a_replay_is_refused,
    an_id_token_with_another_nonce_is_refused,
    a_refusal_at_the_provider_signs_nobody_in,
    a_provider_that_is_down_gets_a_clear_page,
    a_deactivated_staff_member_cannot_sign_in_through_the_provider,
    a_verified_email_links_at_first_sign_in_but_not_an_unverified_or_shared_one,
    a_tampered_id_token_is_refused,
    an_expired_id_token_is_refused,
    a_slow_provider_is_given_up_on_after_ten_seconds,
);
