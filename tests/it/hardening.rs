//! Rules found by review: own-password changes, concurrent send limits, dead challenges,
//! control characters, masked phones, due measures, non-form posts, numeric settings.

use futures::future::join_all;
use reqwest::StatusCode;
use serde_json::json;

use crate::common::fake_twilio::Behaviour;
use crate::common::{STRONG_PASSWORD, TestApp, create_client, create_staff, form_errors, save_options};

const PAT_PHONE: &str = "+14155552671";

async fn an_owner_cannot_change_their_own_password_without_the_current_one(app: TestApp) {
    let owner = app.signup("pro", "olivia", "").await;
    owner.login("olivia", STRONG_PASSWORD).await;
    let answer = owner
        .submit(
            "/staff/1",
            "/staff/1",
            &[
                ("full_name", "Olivia Owner"),
                ("password", "brand new owner passphrase 99"),
                ("role", "owner"),
                ("phone", ""),
                ("email", "owner@example.com"),
                ("supervisor_id", ""),
            ],
        )
        .await;
    assert_eq!(answer.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        form_errors(&answer)
            .get("password")
            .is_some_and(|m| m.contains("Password page"))
    );
    assert_eq!(
        app.browser()
            .login("olivia", "brand new owner passphrase 99")
            .await
            .status,
        StatusCode::UNAUTHORIZED
    );
}

async fn concurrent_sign_ins_never_send_more_than_five_codes_an_hour(app: TestApp) {
    let owner = app.signup("pro", "olivia", "").await;
    owner.login("olivia", STRONG_PASSWORD).await;
    save_options(&owner, true, false, "365", "15").await;
    create_staff(&owner, "provider", "pat", PAT_PHONE, None).await;
    app.twilio
        .behave(Behaviour::Delay(std::time::Duration::from_millis(500)));
    let attempts = (0..12).map(|_| {
        let browser = app.browser();
        async move { browser.login("pat", STRONG_PASSWORD).await.status }
    });
    let statuses = join_all(attempts).await;
    assert!(
        app.twilio.count() <= 5,
        "{} texts for {statuses:?}",
        app.twilio.count()
    );
    assert!(statuses.contains(&StatusCode::TOO_MANY_REQUESTS));
}

async fn an_expired_api_challenge_cannot_be_revived_by_a_resend(app: TestApp) {
    let owner = app.signup("pro", "olivia", "").await;
    owner.login("olivia", STRONG_PASSWORD).await;
    save_options(&owner, true, false, "365", "15").await;
    create_staff(&owner, "provider", "pat", PAT_PHONE, None).await;
    let client = reqwest::Client::new();
    let api = format!("{}/api/v1", app.base);
    let started: serde_json::Value = client
        .post(format!("{api}/login"))
        .json(&json!({"user_id": "pat", "password": STRONG_PASSWORD}))
        .send()
        .await
        .expect("login")
        .json()
        .await
        .expect("json");
    let challenge = started["challenge_id"].clone();
    app.clock.advance(601);
    let resend = client
        .post(format!("{api}/login/resend"))
        .json(&json!({"challenge_id": challenge}))
        .send()
        .await
        .expect("resend");
    assert_eq!(resend.status(), StatusCode::GONE);
    assert_eq!(app.twilio.count(), 1, "no new text for a dead challenge");
}

async fn a_nul_byte_in_a_user_id_is_just_a_wrong_sign_in(app: TestApp) {
    app.signup("pro", "olivia", "").await;
    let web = app.browser().login("oli\u{0}via", "whatever it is now").await;
    assert_eq!(web.status, StatusCode::UNAUTHORIZED);
    let api = reqwest::Client::new()
        .post(format!("{}/api/v1/login", app.base))
        .json(&json!({"user_id": "a\u{0}b", "password": "x"}))
        .send()
        .await
        .expect("api login");
    assert_eq!(api.status(), StatusCode::UNAUTHORIZED);
    let verify = reqwest::Client::new()
        .post(format!("{}/api/v1/login/verify", app.base))
        .json(&json!({"challenge_id": "a\u{0}", "code": "123456"}))
        .send()
        .await
        .expect("verify");
    assert_eq!(verify.status(), StatusCode::UNAUTHORIZED);
}

async fn admins_see_only_masked_numbers_of_people_they_do_not_manage(app: TestApp) {
    let owner = app.signup("pro", "olivia", "+1 415 555 2679").await;
    owner.login("olivia", STRONG_PASSWORD).await;
    create_staff(&owner, "admin", "adam", "", None).await;
    create_staff(&owner, "provider", "pat", PAT_PHONE, None).await;
    let admin = app.browser();
    admin.login("adam", STRONG_PASSWORD).await;
    let page = admin.get("/staff").await;
    assert!(!page.body.contains("+14155552679"), "owner's number masked");
    assert!(page.body.contains("•••• •••• 2679"));
    assert!(
        page.body.contains("(415) 555-2671"),
        "a provider the admin manages is shown in full, the practice's (US) way"
    );
}

async fn a_client_cannot_answer_a_measure_that_is_not_due(app: TestApp) {
    let owner = app.signup("pro", "olivia", "").await;
    owner.login("olivia", STRONG_PASSWORD).await;
    let pat = create_staff(&owner, "provider", "pat", "", None).await;
    let (_, login, password) = create_client(&owner, Some(pat), "").await;
    let client = app.browser();
    client.login(&login, &password).await;
    let items = [
        ("item1", "5.0"),
        ("item2", "5.0"),
        ("item3", "5.0"),
        ("item4", "5.0"),
    ];
    let first = client
        .submit("/my/measures/ors", "/my/measures/ors", &items)
        .await;
    assert_eq!(first.status, StatusCode::SEE_OTHER);
    let csrf = client.csrf_from("/my").await;
    let mut again = vec![("csrf_token", csrf.as_str())];
    again.extend_from_slice(&items);
    let second = client.post("/my/measures/ors", &again).await;
    assert_eq!(
        second.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "the SRS is due, not another ORS"
    );
    assert!(second.body.contains("not due now"));
    assert_eq!(crate::common::count_rows(&app, "ratings").await, 1);
}

async fn a_post_without_a_form_body_is_refused_like_a_missing_token(app: TestApp) {
    let owner = app.signup("pro", "olivia", "").await;
    owner.login("olivia", STRONG_PASSWORD).await;
    let answer = owner
        .client
        .post(format!("{}/logout", app.base))
        .send()
        .await
        .expect("post");
    assert_eq!(answer.status(), StatusCode::FORBIDDEN);
    assert_eq!(
        owner.get("/dashboard").await.status,
        StatusCode::OK,
        "still signed in"
    );
}

crate::db_tests!(
    an_owner_cannot_change_their_own_password_without_the_current_one,
    concurrent_sign_ins_never_send_more_than_five_codes_an_hour,
    an_expired_api_challenge_cannot_be_revived_by_a_resend,
    a_nul_byte_in_a_user_id_is_just_a_wrong_sign_in,
    admins_see_only_masked_numbers_of_people_they_do_not_manage,
    a_client_cannot_answer_a_measure_that_is_not_due,
    a_post_without_a_form_body_is_refused_like_a_missing_token,
);

#[tokio::test]
async fn a_twilio_sender_number_given_without_quotes_is_accepted() {
    let dir = tempfile::tempdir().expect("temp dir");
    let figment = rocket::Config::figment()
        .merge(("log_level", "off"))
        .merge(("data_dir", dir.path().display().to_string()))
        .merge(("secret_key", crate::common::SECRET_KEY))
        .merge(("sms_provider", "twilio"))
        .merge(("twilio_account_sid", "AC1"))
        .merge(("twilio_auth_token", "t"))
        .merge(("twilio_from", 15_005_550_006_i64));
    let settings = outcomes::config::Settings::from_figment(
        &outcomes::config::prepare_figment(figment).expect("figment"),
    );
    assert!(settings.is_ok(), "{:?}", settings.err());
}
