//! Settings are validated at ignite with a message naming the bad key.

use crate::common::{AppOptions, Backend, TestApp};

async fn ignites(extra: Vec<(&'static str, String)>) -> bool {
    let dir = tempfile::tempdir().expect("temp dir");
    let figment = rocket::Config::figment()
        .merge(("log_level", "off"))
        .merge(("port", 0))
        .merge(("data_dir", dir.path().display().to_string()))
        .merge(("secret_key", crate::common::SECRET_KEY));
    let figment = extra.into_iter().fold(figment, |f, (k, v)| f.merge((k, v)));
    match outcomes::rocket(figment).ignite().await {
        Ok(_) => true,
        Err(error) => {
            // Looking at the error marks it handled (Rocket panics on dropping an unseen one).
            let _kind = error.kind();
            false
        }
    }
}

#[tokio::test]
async fn bad_settings_stop_the_service_at_start() {
    assert!(ignites(vec![]).await, "defaults start");
    assert!(!ignites(vec![("sms_provider", "pigeon".into())]).await);
    assert!(
        !ignites(vec![("sms_provider", "twilio".into())]).await,
        "twilio needs its credentials"
    );
    assert!(!ignites(vec![("public_url", "not a url".into())]).await);
    assert!(!ignites(vec![("database_url", "mysql://x".into())]).await);
    assert!(!ignites(vec![("smtp_url", "http://mail".into())]).await);
    assert!(!ignites(vec![("phone_region", "XX".into())]).await);
    assert!(!ignites(vec![("mail_from", "not an address".into())]).await);
}

#[tokio::test]
async fn a_generated_secret_key_is_kept_private_in_the_data_directory() {
    let dir = tempfile::tempdir().expect("temp dir");
    let figment = rocket::Config::figment()
        .merge(("log_level", "off"))
        .merge(("data_dir", dir.path().display().to_string()));
    assert!(outcomes::rocket(figment.clone()).ignite().await.is_ok());
    let path = dir.path().join("secret_key");
    let first = std::fs::read_to_string(&path).expect("key written");
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(&path).expect("metadata").permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
    assert!(outcomes::rocket(figment).ignite().await.is_ok());
    assert_eq!(
        std::fs::read_to_string(&path).expect("key"),
        first,
        "kept across restarts"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_health_check_answers_ok() {
    let app = TestApp::spawn_with(
        Backend::Sqlite,
        AppOptions {
            public_url: None,
            extra: Vec::new(),
        },
    )
    .await
    .expect("app");
    let answer = app.browser().get("/healthz").await;
    assert_eq!(answer.status, reqwest::StatusCode::OK);
    assert_eq!(answer.body, "ok");
}
