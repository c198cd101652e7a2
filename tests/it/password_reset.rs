//! Forgotten passwords (SPEC §2.4): one answer for every user ID, a hashed single-use link valid
//! 60 minutes (the newest only), the limits, and what a reset ends.

use base64::Engine;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::common::{
    Browser, STRONG_PASSWORD, TestApp, count_rows, create_client, create_staff, save_options,
};

const PAT_PHONE: &str = "+14155552671";
const NEW_PASSWORD: &str = "copper meadow fiddle 77 orbit";
const SENT: &str = "If that user ID has an e-mail address on file, we have sent a link.";

/// A `pro` practice with staff two-factor on and provider "pat" (phone, e-mail pat@example.com).
async fn practice(app: &TestApp) -> (Browser, i32) {
    let owner = app.signup("pro", "olivia", "").await;
    owner.login("olivia", STRONG_PASSWORD).await;
    let saved = save_options(&owner, true, false, "365", "15").await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.body);
    let pat = create_staff(&owner, "provider", "pat", PAT_PHONE, None).await;
    (owner, pat)
}

/// The text of each `.eml` the app wrote, its body decoded (7bit, quoted-printable or base64).
fn mails(app: &TestApp) -> Vec<String> {
    app.mail_files().iter().map(|raw| decoded(raw)).collect()
}

fn decoded(raw: &str) -> String {
    let Some((head, body)) = raw.split_once("\r\n\r\n") else {
        return raw.to_string();
    };
    let lower = head.to_ascii_lowercase();
    let body = if lower.contains("content-transfer-encoding: base64") {
        let joined: String = body.split_whitespace().collect();
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(joined)
            .unwrap_or_default();
        String::from_utf8_lossy(&bytes).into_owned()
    } else if lower.contains("content-transfer-encoding: quoted-printable") {
        let unfolded = body.replace("=\r\n", "");
        let mut out = Vec::new();
        let bytes = unfolded.as_bytes();
        let mut i = 0;
        while i < bytes.len() {
            if bytes[i] == b'='
                && i + 2 < bytes.len()
                && let Ok(byte) = u8::from_str_radix(&unfolded[i + 1..i + 3], 16)
            {
                out.push(byte);
                i += 3;
                continue;
            }
            out.push(bytes[i]);
            i += 1;
        }
        String::from_utf8_lossy(&out).into_owned()
    } else {
        body.to_string()
    };
    format!("{head}\r\n\r\n{body}")
}

/// The reset links mailed so far, as paths (`/login/reset/<token>`), once the outbox has sent
/// what it holds: the worker, rather than the request, may be the one that writes the mail.
async fn reset_links(app: &TestApp) -> Vec<String> {
    use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
    let db = app.db().await;
    for _ in 0..200 {
        let waiting = entities::outbox::Entity::find()
            .filter(entities::outbox::Column::Status.eq("pending"))
            .count(&db)
            .await
            .expect("outbox");
        if waiting == 0 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
    let marker = format!("{}/login/reset/", app.public_url);
    mails(app)
        .iter()
        .filter_map(|mail| {
            let start = mail.find(&marker)? + marker.len();
            let token: String = mail[start..]
                .chars()
                .take_while(char::is_ascii_alphanumeric)
                .collect();
            Some(format!("/login/reset/{token}"))
        })
        .collect()
}

async fn ask(browser: &Browser, user_id: &str) -> crate::common::Answer {
    browser
        .submit("/login/forgot", "/login/forgot", &[("user_id", user_id)])
        .await
}

/// Posts a new password to `link` (the CSRF token from the sign-in pages: a spent link's page
/// has no form).
async fn set_password(browser: &Browser, link: &str, password: &str, confirm: &str) -> crate::common::Answer {
    let csrf = browser.csrf_from("/login/forgot").await;
    browser
        .post(
            link,
            &[
                ("csrf_token", csrf.as_str()),
                ("password", password),
                ("password_confirm", confirm),
            ],
        )
        .await
}

async fn audit_count(app: &TestApp, action: &str) -> usize {
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
    entities::audit_log::Entity::find()
        .filter(entities::audit_log::Column::Action.eq(action))
        .all(&app.db().await)
        .await
        .expect("audit query")
        .len()
}

async fn the_login_page_links_to_the_forgotten_password_page(app: TestApp) {
    let page = app.browser().get("/login").await;
    assert_eq!(
        crate::common::attr(&page, "#forgot-link", "href").as_deref(),
        Some("/login/forgot")
    );
    let forgot = app.browser().get("/login/forgot").await;
    assert_eq!(forgot.status, StatusCode::OK);
    assert!(
        forgot
            .element_text("forgot-clients")
            .is_some_and(|t| t.contains("ask your provider"))
    );
}

async fn every_user_id_gets_the_same_answer_and_only_staff_with_an_email_get_a_link(app: TestApp) {
    let (owner, pat) = practice(&app).await;
    // No e-mail on file.
    owner
        .submit(
            "/staff/new",
            "/staff/new",
            &[
                ("full_name", "Noel Nomail"),
                ("user_id", "noel"),
                ("password", STRONG_PASSWORD),
                ("role", "provider"),
                ("phone", ""),
                ("email", ""),
                ("supervisor_id", ""),
            ],
        )
        .await;
    let (_, client_login, _) = create_client(&owner, Some(pat), "").await;
    let mails_before = app.mail_files().len();
    let mut answers = Vec::new();
    for user_id in ["pat", "noel", "nobody-here", client_login.as_str()] {
        let browser = app.browser();
        let answer = ask(&browser, user_id).await;
        assert_eq!(answer.status, StatusCode::SEE_OTHER, "{user_id}: {}", answer.body);
        let page = browser.get(answer.location().unwrap_or_default()).await;
        answers.push((
            answer.location().map(str::to_string),
            page.element_text("forgot-sent"),
        ));
    }
    assert!(answers.windows(2).all(|w| w[0] == w[1]), "{answers:?}");
    assert_eq!(answers[0].1.as_deref(), Some(SENT));
    assert_eq!(app.mail_files().len(), mails_before + 1, "only pat gets a mail");
    let links = reset_links(&app).await;
    assert_eq!(links.len(), 1);
    assert!(
        mails(&app)
            .iter()
            .any(|m| m.contains("To: pat@example.com") && m.contains("Subject: Reset your Outcomes password"))
    );
    // SECURITY: at least 128 random bits, kept only as a SHA-256.
    let token = links[0].trim_start_matches("/login/reset/");
    assert!(token.len() >= 32, "{token}");
    use sea_orm::EntityTrait;
    let rows = entities::password_reset::Entity::find()
        .all(&app.db().await)
        .await
        .expect("query");
    assert_eq!(rows.len(), 4, "every request is counted");
    let hashes: Vec<String> = rows.iter().filter_map(|r| r.token_hash.clone()).collect();
    assert_eq!(hashes.len(), 1);
    assert_ne!(hashes[0], token);
    use sha2::Digest;
    assert_eq!(hashes[0], hex::encode(sha2::Sha256::digest(token.as_bytes())));
}

async fn a_reset_ends_every_session_registration_and_api_token_and_asks_for_the_code_again(app: TestApp) {
    practice(&app).await;
    // Pat registers this browser with a texted code.
    let browser = app.browser();
    let first = browser.login("pat", STRONG_PASSWORD).await;
    assert_eq!(first.location(), Some("/login/verify"));
    let code = app.twilio.last_code_to(PAT_PHONE).expect("code");
    let csrf = browser.csrf_from("/login/verify").await;
    let verified = browser
        .post("/login/verify", &[("csrf_token", &csrf), ("code", &code)])
        .await;
    assert_eq!(verified.status, StatusCode::SEE_OTHER, "{}", verified.body);
    assert_eq!(browser.get("/dashboard").await.status, StatusCode::OK);
    // And the app holds a bearer token.
    let api = reqwest::Client::new();
    let started: Value = api
        .post(format!("{}/api/v1/login", app.base))
        .json(&json!({"user_id": "pat", "password": STRONG_PASSWORD}))
        .send()
        .await
        .expect("api login")
        .json()
        .await
        .expect("json");
    let code = app.twilio.last_code_to(PAT_PHONE).expect("code");
    let done: Value = api
        .post(format!("{}/api/v1/login/verify", app.base))
        .json(&json!({"challenge_id": started["challenge_id"], "code": code}))
        .send()
        .await
        .expect("api verify")
        .json()
        .await
        .expect("json");
    let bearer = done["access_token"].as_str().expect("access token").to_string();
    let me = |token: String| {
        let api = api.clone();
        let url = format!("{}/api/v1/me", app.base);
        async move { api.get(url).bearer_auth(token).send().await.expect("me").status() }
    };
    assert_eq!(me(bearer.clone()).await, StatusCode::OK);

    let stranger = app.browser();
    assert_eq!(ask(&stranger, "pat").await.status, StatusCode::SEE_OTHER);
    let link = reset_links(&app).await.pop().expect("a link");
    let form = stranger.get(&link).await;
    assert_eq!(form.status, StatusCode::OK);
    assert_eq!(form.element_text("reset-user-id").as_deref(), Some("pat"));
    let done = set_password(&stranger, &link, NEW_PASSWORD, NEW_PASSWORD).await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.body);
    assert_eq!(done.location(), Some("/login?reset=true"));

    // The old session answers as signed out, the app's token is dead.
    let old = browser.get("/dashboard").await;
    assert_ne!(old.status, StatusCode::OK);
    assert_eq!(me(bearer).await, StatusCode::UNAUTHORIZED);
    // The old password is gone; the new one works, and the registered browser is asked for a
    // code again (its registration was revoked).
    assert_eq!(
        browser.login("pat", STRONG_PASSWORD).await.status,
        StatusCode::UNAUTHORIZED
    );
    let again = browser.login("pat", NEW_PASSWORD).await;
    assert_eq!(again.location(), Some("/login/verify"), "{}", again.body);
    assert_eq!(audit_count(&app, "password.reset").await, 1);
    assert!(audit_count(&app, "device.revoked").await >= 1);
    assert!(
        mails(&app).iter().any(|m| m.contains("To: pat@example.com")
            && m.contains("Subject: Your Outcomes password was changed"))
    );
    assert_eq!(count_rows(&app, "access_tokens").await, 0);
}

async fn a_link_works_once(app: TestApp) {
    practice(&app).await;
    let browser = app.browser();
    ask(&browser, "pat").await;
    let link = reset_links(&app).await.pop().expect("a link");
    assert_eq!(
        set_password(&browser, &link, NEW_PASSWORD, NEW_PASSWORD)
            .await
            .status,
        StatusCode::SEE_OTHER
    );
    let reused = set_password(&browser, &link, STRONG_PASSWORD, STRONG_PASSWORD).await;
    assert_eq!(reused.status, StatusCode::GONE);
    assert!(reused.element_text("reset-dead").is_some());
    assert_eq!(browser.get(&link).await.status, StatusCode::GONE);
    assert_eq!(
        app.browser().login("pat", NEW_PASSWORD).await.location(),
        Some("/login/verify")
    );
}

async fn a_link_expires_after_sixty_minutes(app: TestApp) {
    practice(&app).await;
    let browser = app.browser();
    ask(&browser, "pat").await;
    let link = reset_links(&app).await.pop().expect("a link");
    app.clock.advance(59 * 60);
    assert_eq!(browser.get(&link).await.status, StatusCode::OK);
    app.clock.advance(60 + 1);
    assert_eq!(browser.get(&link).await.status, StatusCode::GONE);
    let late = set_password(&app.browser(), &link, NEW_PASSWORD, NEW_PASSWORD).await;
    assert_eq!(late.status, StatusCode::GONE);
    assert_eq!(
        app.browser().login("pat", STRONG_PASSWORD).await.location(),
        Some("/login/verify"),
        "the password is unchanged"
    );
}

async fn only_the_newest_link_works(app: TestApp) {
    practice(&app).await;
    let browser = app.browser();
    ask(&browser, "pat").await;
    let older = reset_links(&app).await.pop().expect("a link");
    ask(&browser, "pat").await;
    let links = reset_links(&app).await;
    assert_eq!(links.len(), 2);
    let newer = links.into_iter().find(|l| *l != older).expect("a second link");
    assert_eq!(browser.get(&older).await.status, StatusCode::GONE);
    assert_eq!(browser.get(&newer).await.status, StatusCode::OK);
}

async fn a_weak_or_mismatched_password_is_refused_with_the_form_and_the_link_still_works(app: TestApp) {
    practice(&app).await;
    let browser = app.browser();
    ask(&browser, "pat").await;
    let link = reset_links(&app).await.pop().expect("a link");
    let weak = set_password(&browser, &link, "password1234", "password1234").await;
    assert_eq!(weak.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        crate::common::form_errors(&weak).contains_key("password"),
        "{}",
        weak.body
    );
    let mismatch = set_password(&browser, &link, NEW_PASSWORD, "something else entirely 9").await;
    assert_eq!(mismatch.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(crate::common::form_errors(&mismatch).contains_key("password_confirm"));
    assert_eq!(
        set_password(&browser, &link, NEW_PASSWORD, NEW_PASSWORD)
            .await
            .status,
        StatusCode::SEE_OTHER
    );
}

async fn requests_are_limited_per_user_id_and_per_ip(app: TestApp) {
    practice(&app).await;
    let browser = app.browser();
    for _ in 0..3 {
        assert_eq!(ask(&browser, "pat").await.status, StatusCode::SEE_OTHER);
    }
    let fourth = ask(&browser, "pat").await;
    assert_eq!(fourth.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(fourth.header("retry-after").is_some());
    assert_eq!(reset_links(&app).await.len(), 3, "the fourth sends nothing");
    // An unknown user ID is limited the same way, so the limit reveals nothing either.
    for _ in 0..3 {
        ask(&browser, "ghost").await;
    }
    assert_eq!(ask(&browser, "ghost").await.status, StatusCode::TOO_MANY_REQUESTS);
    // Per IP: 20 in an hour, whatever the user IDs (6 requests counted so far, 2 refused).
    for n in 0..14 {
        let answer = ask(&browser, &format!("someone{n}")).await;
        assert_eq!(answer.status, StatusCode::SEE_OTHER, "request {n}");
    }
    assert_eq!(
        ask(&browser, "someone-else").await.status,
        StatusCode::TOO_MANY_REQUESTS
    );
    // An hour later both limits have passed.
    app.clock.advance(60 * 60 + 1);
    assert_eq!(ask(&browser, "pat").await.status, StatusCode::SEE_OTHER);
}

async fn a_blank_user_id_is_refused_with_the_form(app: TestApp) {
    let answer = ask(&app.browser(), "  ").await;
    assert_eq!(answer.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(answer.element_text("forgot-error").is_some());
}

async fn an_unknown_link_answers_gone_with_a_way_forward(app: TestApp) {
    let page = app.browser().get("/login/reset/not-a-real-token").await;
    assert_eq!(page.status, StatusCode::GONE);
    assert!(page.body.contains("/login/forgot"));
}

crate::db_tests!(
    the_login_page_links_to_the_forgotten_password_page,
    every_user_id_gets_the_same_answer_and_only_staff_with_an_email_get_a_link,
    a_reset_ends_every_session_registration_and_api_token_and_asks_for_the_code_again,
    a_link_works_once,
    a_link_expires_after_sixty_minutes,
    only_the_newest_link_works,
    a_weak_or_mismatched_password_is_refused_with_the_form_and_the_link_still_works,
    requests_are_limited_per_user_id_and_per_ip,
    a_blank_user_id_is_refused_with_the_form,
    an_unknown_link_answers_gone_with_a_way_forward,
);
