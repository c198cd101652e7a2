//! Cases from the black-box probe of the release binary (issue 18): spoofed client addresses,
//! SMS pumping across sign-ups, e-mail addresses with markup, unthrottled password re-checks,
//! device cookie names, file modes and bidirectional controls in names.

use reqwest::StatusCode;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};

use crate::common::{AppOptions, Backend, STRONG_PASSWORD, TestApp, create_staff, form_errors, save_options};

pub(crate) const PHONE: &str = "+14155552671";

/// The audit rows of one action, oldest first.
async fn audit_rows(app: &TestApp, action: &str) -> Vec<entities::audit_log::Model> {
    entities::audit_log::Entity::find()
        .filter(entities::audit_log::Column::Action.eq(action))
        .order_by_asc(entities::audit_log::Column::Id)
        .all(&app.db().await)
        .await
        .expect("audit rows")
}

/// A wrong sign-in as `user_id`, sent with the given extra headers.
async fn wrong_sign_in(app: &TestApp, user_id: &str, headers: &[(&str, &str)]) -> StatusCode {
    let browser = app.browser();
    let token = browser.csrf_from("/login").await;
    let mut request = browser.client.post(format!("{}/login", app.base)).form(&[
        ("csrf_token", token.as_str()),
        ("user_id", user_id),
        ("password", "not the password at all"),
    ]);
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    request.send().await.expect("POST /login").status()
}

async fn a_forwarded_address_from_an_untrusted_peer_is_ignored(app: TestApp) {
    // 101 failures, each claiming another address: the per-IP limit (100 an hour) still applies,
    // because the socket's address is the only one that counts.
    let mut statuses = Vec::new();
    for i in 0..101 {
        let spoofed = format!("198.51.100.{}", i % 250);
        let forwarded = format!("203.0.113.{}", i % 250);
        statuses.push(
            wrong_sign_in(
                &app,
                &format!("nobody{i}"),
                &[
                    ("X-Real-IP", spoofed.as_str()),
                    ("X-Forwarded-For", forwarded.as_str()),
                ],
            )
            .await,
        );
    }
    assert!(statuses[..100].iter().all(|s| *s == StatusCode::UNAUTHORIZED));
    assert_eq!(
        statuses[100],
        StatusCode::TOO_MANY_REQUESTS,
        "the 101st failure from one socket address is limited"
    );
    let rows = audit_rows(&app, "login.failed").await;
    assert_eq!(rows.len(), 100);
    assert!(
        rows.iter().all(|r| r.ip.as_deref() == Some("127.0.0.1")),
        "no spoofed address reaches the audit log"
    );
}

async fn trusted_proxy_app(backend: Backend) -> Option<TestApp> {
    TestApp::spawn_with(
        backend,
        AppOptions {
            public_url: None,
            extra: vec![("trusted_proxies", "127.0.0.1/32, 10.0.0.0/8".to_string())],
        },
    )
    .await
}

async fn behind_trusted_proxies_the_nearest_untrusted_forwarded_address_is_the_client(backend: Backend) {
    let Some(app) = trusted_proxy_app(backend).await else {
        return;
    };
    // The client prepends a lie; our proxies (10.1.2.3, then the peer 127.0.0.1) appended
    // what they saw: read right to left, the first address that is not ours is the client.
    wrong_sign_in(
        &app,
        "nobody",
        &[("X-Forwarded-For", "6.6.6.6, 203.0.113.9, 10.1.2.3")],
    )
    .await;
    wrong_sign_in(&app, "nobody", &[("X-Real-IP", "192.0.2.44")]).await;
    wrong_sign_in(&app, "nobody", &[("X-Forwarded-For", "garbage, 10.1.2.3")]).await;
    let ips: Vec<Option<String>> = audit_rows(&app, "login.failed")
        .await
        .into_iter()
        .map(|r| r.ip)
        .collect();
    assert_eq!(
        ips,
        vec![
            Some("203.0.113.9".to_string()),
            Some("192.0.2.44".to_string()),
            Some("10.1.2.3".to_string()),
        ]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn behind_trusted_proxies_the_client_address_is_read_from_the_forwarded_chain() {
    behind_trusted_proxies_the_nearest_untrusted_forwarded_address_is_the_client(Backend::Sqlite).await;
    behind_trusted_proxies_the_nearest_untrusted_forwarded_address_is_the_client(Backend::Postgres).await;
}

async fn an_email_address_with_markup_is_refused(app: TestApp) {
    let answer = app
        .browser()
        .submit(
            "/signup",
            "/signup",
            &[
                ("organization", "Harbor"),
                ("plan", "pro"),
                ("full_name", "Olivia Owner"),
                ("user_id", "olivia"),
                ("password", STRONG_PASSWORD),
                ("email", "\"><svg/onload=alert(1)>@ex.com"),
                ("phone", ""),
            ],
        )
        .await;
    assert_eq!(answer.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(form_errors(&answer).contains_key("email"));
    assert!(!answer.body.contains("<svg/onload"), "never echoed as markup");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_mail_that_cannot_be_sent_is_audited() {
    // An SMTP server that is not there: the reset still happens, and the lost mail is on record.
    let Some(app) = TestApp::spawn_with(
        Backend::Sqlite,
        AppOptions {
            public_url: None,
            extra: vec![("smtp_url", "smtp://127.0.0.1:9".to_string())],
        },
    )
    .await
    else {
        return;
    };
    let owner = app.signup("pro", "olivia", "").await;
    owner.login("olivia", STRONG_PASSWORD).await;
    let pat = create_staff(&owner, "provider", "pat", PHONE, None).await;
    let reset = owner
        .submit(
            &format!("/staff/{pat}"),
            &format!("/staff/{pat}/two-factor/reset"),
            &[],
        )
        .await;
    assert_eq!(reset.status, StatusCode::SEE_OTHER);
    let failed = audit_rows(&app, "mail.failed").await;
    assert_eq!(failed.len(), 1, "one lost mail, audited");
    assert!(
        failed[0]
            .details
            .as_deref()
            .is_some_and(|d| d.contains("sign-in security was reset"))
    );
}

async fn wrong_current_passwords_count_toward_the_sign_in_lock(app: TestApp) {
    let owner = app.signup("pro", "olivia", "").await;
    owner.login("olivia", STRONG_PASSWORD).await;
    let mut statuses = Vec::new();
    for i in 0..6 {
        statuses.push(
            owner
                .submit(
                    "/account/password",
                    "/account/password",
                    &[
                        ("current_password", &format!("wrong guess number {i}")),
                        ("new_password", "a brand new passphrase 77"),
                        ("confirm_password", "a brand new passphrase 77"),
                    ],
                )
                .await
                .status,
        );
    }
    for i in 0..6 {
        statuses.push(
            owner
                .submit(
                    "/security",
                    "/security",
                    &[
                        ("current_password", &format!("another wrong guess {i}")),
                        ("action", "add_app"),
                    ],
                )
                .await
                .status,
        );
    }
    assert!(
        statuses[..10]
            .iter()
            .all(|s| *s == StatusCode::UNPROCESSABLE_ENTITY),
        "{statuses:?}"
    );
    assert!(
        statuses[10..].iter().all(|s| *s == StatusCode::TOO_MANY_REQUESTS),
        "{statuses:?}"
    );
    assert_eq!(
        app.browser().login("olivia", STRONG_PASSWORD).await.status,
        StatusCode::TOO_MANY_REQUESTS,
        "the user ID is locked for sign-in too"
    );
    let rows = audit_rows(&app, "password.check_failed").await;
    assert_eq!(rows.len(), 10);
    assert!(rows.iter().all(|r| r.ip.is_some() && r.actor_id.is_some()));
}

async fn the_device_cookie_does_not_name_its_user(app: TestApp) {
    let owner = app.signup("pro", "olivia", "").await;
    owner.login("olivia", STRONG_PASSWORD).await;
    save_options(&owner, true, false, "365", "15").await;
    let pat = create_staff(&owner, "provider", "pat", PHONE, None).await;
    let browser = app.browser();
    browser.login("pat", STRONG_PASSWORD).await;
    let code = app.twilio.last_code_to(PHONE).expect("code");
    let done = browser
        .submit("/login/verify", "/login/verify", &[("code", &code)])
        .await;
    let cookie = done
        .set_cookies()
        .into_iter()
        .find(|c| c.starts_with("outcomes_device_"))
        .expect("a device cookie");
    let name = cookie.split('=').next().unwrap_or_default().to_string();
    assert_ne!(name, format!("outcomes_device_{pat}"));
    let tag = name.trim_start_matches("outcomes_device_");
    assert_eq!(tag.len(), 16, "a keyed tag: {name}");
    assert!(tag.bytes().all(|b| b.is_ascii_hexdigit()));
}

#[cfg(unix)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_data_folder_and_its_files_are_the_services_alone() {
    use std::os::unix::fs::PermissionsExt;
    let Some(app) = TestApp::spawn(Backend::Sqlite).await else {
        return;
    };
    let owner = app.signup("pro", "olivia", "").await;
    owner.login("olivia", STRONG_PASSWORD).await;
    let pat = create_staff(&owner, "provider", "pat", PHONE, None).await;
    // A mail to write into data/mail: the reset of pat's second factors.
    owner
        .submit(
            &format!("/staff/{pat}"),
            &format!("/staff/{pat}/two-factor/reset"),
            &[],
        )
        .await;
    let mode = |path: &std::path::Path| {
        std::fs::metadata(path)
            .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
            .permissions()
            .mode()
            & 0o777
    };
    assert_eq!(mode(&app.data_dir), 0o700);
    assert_eq!(mode(&app.data_dir.join("test.sqlite")), 0o600);
    assert_eq!(mode(&app.data_dir.join("mail")), 0o700);
    let mails: Vec<_> = std::fs::read_dir(app.data_dir.join("mail"))
        .expect("mail folder")
        .flatten()
        .collect();
    assert!(!mails.is_empty());
    for mail in mails {
        assert_eq!(mode(&mail.path()), 0o600, "{}", mail.path().display());
    }
}

async fn names_with_bidirectional_controls_are_refused(app: TestApp) {
    let owner = app.signup("pro", "olivia", "").await;
    owner.login("olivia", STRONG_PASSWORD).await;
    let answer = owner
        .submit(
            "/staff/new",
            "/staff/new",
            &[
                ("full_name", "Pat \u{202E}redivorP"),
                ("user_id", "pat"),
                ("password", STRONG_PASSWORD),
                ("role", "provider"),
                ("phone", ""),
                ("email", ""),
                ("supervisor_id", ""),
            ],
        )
        .await;
    assert_eq!(answer.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(form_errors(&answer).contains_key("full_name"));
}

crate::db_tests!(
    a_forwarded_address_from_an_untrusted_peer_is_ignored,
    an_email_address_with_markup_is_refused,
    wrong_current_passwords_count_toward_the_sign_in_lock,
    the_device_cookie_does_not_name_its_user,
    names_with_bidirectional_controls_are_refused,
);
