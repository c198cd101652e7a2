//! Passkeys the practice requires of owners and admins, and passkeys in the app (issue 14).

use reqwest::StatusCode;
use serde_json::{Value, json};

use super::passkeys::{add_passkey, localhost, post_json};
use crate::common::passkeys::{self};
use crate::common::{Backend, Browser, STRONG_PASSWORD, create_staff};

async fn owners_and_admins_are_walked_through_adding_a_required_passkey(backend: Backend) {
    let Some(app) = localhost(backend).await else {
        return;
    };
    let owner = app.signup("pro", "olivia", "").await;
    owner.login("olivia", STRONG_PASSWORD).await;
    let require = |browser: Browser| async move {
        browser
            .submit(
                "/options",
                "/options",
                &[
                    ("admin_require_passkey", "on"),
                    ("device_days", "365"),
                    ("idle_minutes", "15"),
                    ("reliable_change", "5"),
                    ("alliance_cutoff", "36"),
                    ("alliance_drop", "1"),
                    ("measures", "ors"),
                    ("measures", "srs"),
                ],
            )
            .await
    };
    let refused = require(owner.clone()).await;
    assert_eq!(
        refused.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "the owner holds none yet"
    );
    assert!(refused.body.contains("Add a passkey for yourself"));
    let mut owners_key = passkeys::device(true);
    add_passkey(&app, &owner, &mut owners_key, "Owner's laptop").await;
    assert_eq!(require(owner.clone()).await.status, StatusCode::SEE_OTHER);
    create_staff(&owner, "admin", "adam", "", None).await;

    let adam = app.browser();
    assert_eq!(
        adam.login("adam", STRONG_PASSWORD).await.location(),
        Some("/login/passkey-setup")
    );
    assert_ne!(
        adam.get("/dashboard").await.status,
        StatusCode::OK,
        "nothing else opens"
    );
    let page = adam.get("/login/passkey-setup").await;
    assert!(page.body.contains("id=\"add-passkey\""));
    let csrf = page
        .body
        .split("data-csrf=\"")
        .nth(1)
        .and_then(|r| r.split('"').next())
        .expect("token")
        .to_string();
    let (status, options) = post_json(&adam, "/login/passkey-setup/options", &csrf, &json!({})).await;
    assert_eq!(status, StatusCode::OK);
    let mut adams_key = passkeys::device(true);
    let credential = passkeys::register(&mut adams_key, &app.public_url, &options)
        .await
        .expect("registered");
    let (status, answer) = post_json(
        &adam,
        "/login/passkey-setup",
        &csrf,
        &json!({"name": "Adam's phone", "credential": credential}),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{answer}");
    assert_eq!(answer["redirect"], json!("/"));
    assert_eq!(adam.get("/dashboard").await.status, StatusCode::OK);
    // Providers are not asked.
    create_staff(&owner, "provider", "pat", "", None).await;
    assert_eq!(
        app.browser().login("pat", STRONG_PASSWORD).await.location(),
        Some("/")
    );
}

async fn the_app_signs_in_with_a_passkey_alone(backend: Backend) {
    let Some(app) = localhost(backend).await else {
        return;
    };
    let owner = app.signup("pro", "olivia", "").await;
    owner.login("olivia", STRONG_PASSWORD).await;
    let mut phone = passkeys::device(true);
    add_passkey(&app, &owner, &mut phone, "Phone").await;
    let client = reqwest::Client::new();
    let api = format!("{}/api/v1", app.base);
    let options: Value = client
        .post(format!("{api}/login/passkey/options"))
        .send()
        .await
        .expect("options")
        .json()
        .await
        .expect("json");
    let credential = passkeys::authenticate(&mut phone, &app.public_url, &options)
        .await
        .expect("signed");
    let answer = client
        .post(format!("{api}/login/passkey"))
        .json(&json!({"credential": credential}))
        .send()
        .await
        .expect("login");
    assert_eq!(answer.status(), StatusCode::OK);
    let body: Value = answer.json().await.expect("json");
    assert_eq!(body["token_type"], json!("Bearer"));
    assert!(body["device_token"].is_string(), "the app is registered");
    let me = client
        .get(format!("{api}/me"))
        .bearer_auth(body["access_token"].as_str().unwrap_or_default())
        .send()
        .await
        .expect("me");
    assert_eq!(me.status(), StatusCode::OK);
    // A replay of the same assertion is refused.
    let again = client
        .post(format!("{api}/login/passkey"))
        .json(&json!({"credential": credential}))
        .send()
        .await
        .expect("login");
    assert_eq!(again.status(), StatusCode::UNAUTHORIZED);
}

mod on_both_databases {
    use super::Backend;

    crate::both_databases!(
        owners_and_admins_are_walked_through_adding_a_required_passkey,
        the_app_signs_in_with_a_passkey_alone,
    );
}
