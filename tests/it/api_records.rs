//! The API's records: a client's record and caseload scope, rating input errors, a client's own pending measures, and JSON for unknown paths.

use reqwest::StatusCode;
use serde_json::{Value, json};

use super::api::{call, code_of, login, pat_signs_in, practice};
use crate::common::{STRONG_PASSWORD, TestApp, create_client, create_staff};

async fn a_client_record_has_the_spec_shape_and_respects_the_caseload(app: TestApp) {
    let (owner, _, client) = practice(&app).await;
    let quinn = create_staff(&owner, "provider", "quinn", "", None).await;
    let (quinns_client, _, _) = create_client(&owner, Some(quinn), "").await;
    let (token, _) = pat_signs_in(&app).await;
    for (session, total) in [(1, 20.0), (2, 12.0)] {
        let reply = call(
            &app,
            "POST",
            &format!("/clients/{client}/ratings"),
            Some(&token),
            Some(json!({"measure": "ors", "session": session, "total": total})),
        )
        .await;
        assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.json);
    }
    let srs = call(
        &app,
        "POST",
        &format!("/clients/{client}/ratings"),
        Some(&token),
        Some(json!({"measure": "srs", "items": [9.0, 9.5, 9.0, 9.0]})),
    )
    .await;
    assert_eq!(srs.status, StatusCode::CREATED);
    assert_eq!(srs.json["session"], 2, "alliance goes to the latest session");
    let record = call(&app, "GET", &format!("/clients/{client}"), Some(&token), None).await;
    assert_eq!(record.status, StatusCode::OK);
    let json = &record.json;
    assert_eq!(json["id"], client);
    assert_eq!(json["first_name"], "Casey");
    assert_eq!(json["last_name"], "Client");
    assert_eq!(json["age_group"], "adult");
    let ratings = json["episode"]["ratings"].as_array().expect("ratings");
    assert_eq!(ratings.len(), 3);
    assert_eq!(ratings[0]["measure"], "ors");
    assert_eq!(ratings[0]["items"], json!([5.0, 5.0, 5.0, 5.0]));
    assert!(ratings[0]["at"].is_string());
    assert_eq!(json["episode"]["etr"]["intake"], 20.0);
    let path = json["episode"]["etr"]["path"].as_array().expect("path");
    assert_eq!(path[1], 23.09, "expected at session 2 for intake 20");
    assert_eq!(json["episode"]["flags"]["outcome"], "red");
    assert_eq!(json["episode"]["flags"]["alliance"], "green");
    let list = call(&app, "GET", "/clients", Some(&token), None).await;
    assert_eq!(list.json["clients"].as_array().map(Vec::len), Some(1));
    let other = call(
        &app,
        "GET",
        &format!("/clients/{quinns_client}"),
        Some(&token),
        None,
    )
    .await;
    assert_eq!(other.status, StatusCode::NOT_FOUND);
    assert_eq!(code_of(&other), "not_found");
}

async fn bad_rating_input_is_400_or_422_naming_the_field(app: TestApp) {
    let (_, _, client) = practice(&app).await;
    let (token, _) = pat_signs_in(&app).await;
    let malformed = reqwest::Client::new()
        .post(format!("{}/api/v1/clients/{client}/ratings", app.base))
        .bearer_auth(&token)
        .header("Content-Type", "application/json")
        .body("{\"measure\": ")
        .send()
        .await
        .expect("request");
    assert_eq!(malformed.status(), StatusCode::BAD_REQUEST);
    let body: Value = malformed.json().await.expect("JSON");
    assert_eq!(body["error"]["code"], "malformed_json");
    let out_of_range = call(
        &app,
        "POST",
        &format!("/clients/{client}/ratings"),
        Some(&token),
        Some(json!({"measure": "ors", "items": [11.0, 5.0, 5.0, 5.0]})),
    )
    .await;
    assert_eq!(out_of_range.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(out_of_range.json["error"]["field"], "item1");
    assert_eq!(
        crate::common::count_rows(&app, "ratings").await,
        0,
        "nothing saved"
    );
}

async fn clients_see_and_submit_their_pending_measures(app: TestApp) {
    let owner = app.signup("pro", "olivia", "").await;
    owner.login("olivia", STRONG_PASSWORD).await;
    let pat = create_staff(&owner, "provider", "pat", "", None).await;
    let (_, login_id, password) = create_client(&owner, Some(pat), "").await;
    let reply = login(&app, &login_id, &password, None).await;
    let token = reply.json["access_token"].as_str().expect("token").to_string();
    let pending = call(&app, "GET", "/my/measures", Some(&token), None).await;
    assert_eq!(pending.json["pending"][0]["id"], "ors");
    let sent = call(
        &app,
        "POST",
        "/my/measures/ors",
        Some(&token),
        Some(json!({"items": [4.0, 5.5, 6.0, 5.0]})),
    )
    .await;
    assert_eq!(sent.status, StatusCode::CREATED, "{}", sent.json);
    assert_eq!(sent.json["total"], 20.5);
    let next = call(&app, "GET", "/my/measures", Some(&token), None).await;
    assert_eq!(
        next.json["pending"][0]["id"], "srs",
        "the alliance measure is next"
    );
    let staff_only = call(&app, "GET", "/clients", Some(&token), None).await;
    assert_eq!(staff_only.status, StatusCode::FORBIDDEN);
    assert_eq!(code_of(&staff_only), "forbidden");
}

async fn unknown_api_paths_answer_json(app: TestApp) {
    let reply = call(&app, "GET", "/no-such-thing", None, None).await;
    assert_eq!(reply.status, StatusCode::NOT_FOUND);
    assert_eq!(code_of(&reply), "not_found");
}

crate::db_tests!(
    a_client_record_has_the_spec_shape_and_respects_the_caseload,
    bad_rating_input_is_400_or_422_naming_the_field,
    clients_see_and_submit_their_pending_measures,
    unknown_api_paths_answer_json,
);
