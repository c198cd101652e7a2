//! Authenticator apps through the API, and on the mobile plan in place of a phone (issue 6).

use reqwest::StatusCode;
use serde_json::{Value, json};

use super::authenticator::{
    PAT_PHONE, add_app, audit_details, enter, id_of, practice, settle_in_step, signed_in_with_text,
};
use crate::common::{STRONG_PASSWORD, TestApp, create_staff, totp_at};

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

crate::db_tests!(
    the_api_accepts_the_same_factors,
    the_api_refuses_texts_and_set_up_when_the_app_is_required,
    on_the_mobile_plan_an_app_stands_in_for_a_missing_phone,
);
