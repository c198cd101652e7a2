//! The API's OpenAPI 3.1 document (`GET /api/v1/openapi.json`, SPEC §4): every endpoint is in
//! it, and schemathesis (pinned in tests/tools) fuzzes the running binary with a signed-in token:
//! no 5xx, and every answer's status, type and body conform to the document.

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::Value;

use crate::binary::{Served, sign_up_and_in};
use crate::common::{Backend, Browser, STRONG_PASSWORD, TestApp, create_client, create_staff, tools};

/// The endpoints of SPEC §4 (method, path as the document writes it) and the error statuses
/// each can answer, read off its handler and guards: no more (a client generator would handle
/// answers that never come), no fewer (schemathesis checks every answer against the list).
const ENDPOINTS: &[(&str, &str, &[&str])] = &[
    (
        "post",
        "/api/v1/login",
        &["400", "401", "403", "413", "422", "429", "503"],
    ),
    (
        "post",
        "/api/v1/login/verify",
        &["400", "401", "403", "410", "413", "422", "429", "503"],
    ),
    (
        "post",
        "/api/v1/login/resend",
        &["400", "401", "403", "410", "413", "422", "429", "503"],
    ),
    ("post", "/api/v1/login/passkey/options", &["400", "503"]),
    (
        "post",
        "/api/v1/login/passkey",
        &["400", "401", "413", "422", "503"],
    ),
    ("post", "/api/v1/logout", &["401", "503"]),
    ("get", "/api/v1/me", &["401", "503"]),
    ("get", "/api/v1/clients", &["401", "403", "503"]),
    (
        "get",
        "/api/v1/clients/{id}",
        &["401", "403", "404", "422", "503"],
    ),
    (
        "post",
        "/api/v1/clients/{id}/ratings",
        &["400", "401", "403", "404", "409", "413", "422", "503"],
    ),
    ("get", "/api/v1/my/measures", &["401", "403", "503"]),
    (
        "post",
        "/api/v1/my/measures/{measure}",
        &["400", "401", "403", "404", "409", "413", "422", "503"],
    ),
];

async fn document(app: &TestApp) -> Value {
    let answer = reqwest::get(format!("{}/api/v1/openapi.json", app.base))
        .await
        .expect("GET openapi.json");
    assert_eq!(answer.status(), StatusCode::OK);
    assert!(
        answer
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("application/json"))
    );
    answer.json().await.expect("JSON")
}

/// A signed-in owner's bearer token (a `pro` practice asks for no second step by default),
/// with a provider and a client in the practice.
async fn owner_token(base: &str, owner: &Browser) -> String {
    let pat = create_staff(owner, "provider", "pat", "", None).await;
    create_client(owner, Some(pat), "").await;
    let answer = reqwest::Client::new()
        .post(format!("{base}/api/v1/login"))
        .json(&serde_json::json!({"user_id": "olivia", "password": STRONG_PASSWORD}))
        .send()
        .await
        .expect("login");
    assert_eq!(answer.status(), StatusCode::OK);
    let body: Value = answer.json().await.expect("JSON");
    body["access_token"].as_str().expect("a token").to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_document_is_openapi_3_1_with_every_endpoint_its_bodies_and_errors() {
    let app = TestApp::spawn(Backend::Sqlite).await.expect("app");
    let doc = document(&app).await;
    assert_eq!(doc["openapi"], "3.1.0");
    for (method, path, errors) in ENDPOINTS {
        let operation = &doc["paths"][path][method];
        assert!(operation.is_object(), "{method} {path} documented");
        let responses = operation["responses"].as_object().expect("responses");
        let success: Vec<&String> = responses.keys().filter(|k| k.starts_with('2')).collect();
        assert!(!success.is_empty(), "{method} {path}: a success answer");
        let listed: Vec<&str> = responses
            .keys()
            .map(String::as_str)
            .filter(|k| !k.starts_with('2'))
            .collect();
        assert_eq!(&listed, errors, "{method} {path}: its own errors");
        for code in *errors {
            let error = &responses[*code]["content"]["application/json"]["schema"]["$ref"];
            assert_eq!(error, "#/components/schemas/ErrorJson", "{method} {path} {code}");
        }
        if *method == "post" && !path.ends_with("/logout") && !path.ends_with("/options") {
            assert!(operation["requestBody"].is_object(), "{method} {path}: its body");
        }
        let signed_in = !path.starts_with("/api/v1/login");
        assert_eq!(
            operation["security"].is_array(),
            signed_in,
            "{method} {path}: bearer"
        );
    }
    assert_eq!(
        doc["paths"].as_object().map(serde_json::Map::len),
        Some(ENDPOINTS.len()),
        "no endpoint the API lacks"
    );
    let schemas = &doc["components"]["schemas"];
    assert_eq!(
        schemas["Flag"]["enum"],
        serde_json::json!(["green", "amber", "red", "grey"])
    );
    assert_eq!(doc["components"]["securitySchemes"]["bearer"]["scheme"], "bearer");
    // The error shape the document promises is the one the API answers.
    let answer = reqwest::get(format!("{}/api/v1/me", app.base))
        .await
        .expect("GET");
    assert_eq!(answer.status(), StatusCode::UNAUTHORIZED);
    let body: Value = answer.json().await.expect("JSON");
    assert_eq!(body["error"]["code"], "unauthorized");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn schemathesis_finds_no_server_error_and_no_answer_outside_the_document() {
    let Some(python) = tools::python_with("schemathesis") else {
        return;
    };
    // The built binary, started from an empty folder, as CI's release would be.
    let dir = tempfile::tempdir().expect("temp dir");
    let served = Served::start(dir.path(), &[], &[]).await;
    let owner = served.browser();
    sign_up_and_in(&owner, "olivia").await;
    let token = owner_token(&served.base, &owner).await;
    let report = tempfile::tempdir().expect("report dir");
    let mut command = tokio::process::Command::new(python);
    command
        .args(["-m", "schemathesis.cli", "run"])
        .arg(format!("{}/api/v1/openapi.json", served.base))
        .args(["--header", &format!("Authorization: Bearer {token}")])
        .args([
            "--checks",
            "not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance",
        ])
        // Signing out would end the token the rest of the run uses.
        .args(["--exclude-path", "/api/v1/logout"])
        .args(["--phases", "examples,coverage,fuzzing"])
        // One worker: hypothesis's lambda descriptions are not thread-safe (a spurious
        // "AST constructor recursion depth mismatch" with two).
        .args(["--max-examples", "25", "--seed", "16", "--workers", "1"])
        .args([
            "--generation-database",
            "none",
            "--request-timeout",
            "10",
            "--no-color",
        ])
        .args(["--report-dir"])
        .arg(report.path())
        .current_dir(report.path())
        .kill_on_drop(true);
    let run = tokio::time::timeout(Duration::from_secs(110), command.output())
        .await
        .expect("schemathesis finished within 110 s")
        .expect("schemathesis ran");
    let out = String::from_utf8_lossy(&run.stdout);
    let err = String::from_utf8_lossy(&run.stderr);
    assert!(run.status.success(), "schemathesis found problems:\n{out}\n{err}");
    assert!(out.contains("passed"), "{out}");
    // It really reached the signed-in endpoints with the token.
    let me = reqwest::Client::new()
        .get(format!("{}/api/v1/me", served.base))
        .bearer_auth(&token)
        .send()
        .await
        .expect("GET");
    assert_eq!(me.status(), StatusCode::OK, "the token still works after the run");
}
