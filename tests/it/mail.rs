//! E-mails are complete MIME messages (SPEC §5), through a real SMTP server (aiosmtpd) and the
//! file transport; the WebOTP line of a text names the host without its port.

use reqwest::StatusCode;

use crate::common::smtp::SmtpServer;
use crate::common::{
    AppOptions, Backend, Browser, STRONG_PASSWORD, TestApp, create_client, create_staff, save_options,
};

/// A PHQ-9 with a non-zero item 9 for a client of provider "pat" (pat@example.com): the
/// provider is e-mailed a safety alert.
async fn raise_a_safety_alert(app: &TestApp) -> Browser {
    let owner = app.signup("pro", "olivia", "").await;
    owner.login("olivia", STRONG_PASSWORD).await;
    let pat = create_staff(&owner, "provider", "pat", "", None).await;
    let (id, _, _) = create_client(&owner, Some(pat), "").await;
    let page = format!("/clients/{id}");
    let mut fields = vec![("measure", "phq9")];
    let items = [
        "item1", "item2", "item3", "item4", "item5", "item6", "item7", "item8", "item9",
    ];
    for item in items {
        fields.push((item, if item == "item9" { "2" } else { "1" }));
    }
    let answer = owner.submit(&page, &format!("{page}/ratings"), &fields).await;
    assert_eq!(answer.status, StatusCode::SEE_OTHER, "{}", answer.body);
    owner
}

/// The headers of a complete message, checked on the raw text a server or file received.
fn assert_complete_message(raw: &str) {
    let head = raw.split("\r\n\r\n").next().unwrap_or(raw);
    let head = head.split("\n\n").next().unwrap_or(head);
    let header = |name: &str| {
        head.lines()
            .find(|line| {
                line.to_ascii_lowercase()
                    .starts_with(&format!("{}:", name.to_ascii_lowercase()))
            })
            .map(|line| line[name.len() + 1..].trim().to_string())
    };
    let id = header("Message-ID").unwrap_or_else(|| panic!("Message-ID in {head}"));
    assert!(
        id.starts_with('<') && id.ends_with("@localhost>"),
        "Message-ID named after mail_from's domain: {id}"
    );
    let date = header("Date").unwrap_or_else(|| panic!("Date in {head}"));
    assert!(
        chrono::DateTime::parse_from_rfc2822(&date).is_ok(),
        "an RFC 5322 date: {date}"
    );
    assert_eq!(header("MIME-Version").as_deref(), Some("1.0"));
    assert_eq!(
        header("Content-Type").as_deref(),
        Some("text/plain; charset=utf-8")
    );
    assert!(header("Content-Transfer-Encoding").is_some(), "{head}");
    assert!(header("From").is_some_and(|f| f.contains("no-reply@localhost")));
    assert!(header("Subject").is_some());
}

async fn a_mail_through_a_real_smtp_server_is_a_complete_mime_message(backend: Backend) {
    let Some(smtp) = SmtpServer::start().await else {
        return;
    };
    let Some(app) = TestApp::spawn_with(
        backend,
        AppOptions {
            public_url: None,
            extra: vec![("smtp_url", smtp.url.clone())],
        },
    )
    .await
    else {
        return;
    };
    raise_a_safety_alert(&app).await;
    let messages = smtp.wait_for(1).await;
    let alert = messages
        .iter()
        .find(|m| m.contains("pat@example.com"))
        .unwrap_or_else(|| panic!("the provider's alert arrived: {messages:?}"));
    assert_complete_message(alert);
    assert!(app.mail_files().is_empty(), "SMTP set: no .eml files");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_mail_through_a_real_smtp_server_is_a_complete_mime_message_on_sqlite() {
    a_mail_through_a_real_smtp_server_is_a_complete_mime_message(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_mail_through_a_real_smtp_server_is_a_complete_mime_message_on_postgres() {
    a_mail_through_a_real_smtp_server_is_a_complete_mime_message(Backend::Postgres).await;
}

async fn a_mail_written_to_a_file_is_a_complete_mime_message(app: TestApp) {
    raise_a_safety_alert(&app).await;
    let files = app.mail_files();
    let alert = files
        .iter()
        .find(|m| m.contains("pat@example.com"))
        .unwrap_or_else(|| panic!("an .eml for the provider: {files:?}"));
    assert_complete_message(alert);
}

async fn the_webotp_line_names_the_host_without_its_port(app: TestApp) {
    assert!(
        app.public_url.starts_with("http://localhost:"),
        "a port in public_url"
    );
    let owner = app.signup("pro", "olivia", "").await;
    owner.login("olivia", STRONG_PASSWORD).await;
    save_options(&owner, true, false, "365", "15").await;
    create_staff(&owner, "provider", "pat", "+14155552671", None).await;
    let answer = app.browser().login("pat", STRONG_PASSWORD).await;
    assert_eq!(answer.location(), Some("/login/verify"));
    let sent = app.twilio.messages();
    let message = sent.last().expect("a text");
    let code = message.code().expect("a code");
    let last_line = message.body().lines().last().unwrap_or_default();
    assert_eq!(last_line, format!("@localhost #{code}"));
}

mod file_transport {
    use super::*;
    crate::db_tests!(a_mail_written_to_a_file_is_a_complete_mime_message);
}

mod webotp {
    use super::*;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn the_webotp_line_names_the_host_without_its_port_on_sqlite() {
        let app = TestApp::spawn_localhost(Backend::Sqlite).await.expect("app");
        the_webotp_line_names_the_host_without_its_port(app).await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn the_webotp_line_names_the_host_without_its_port_on_postgres() {
        if let Some(app) = TestApp::spawn_localhost(Backend::Postgres).await {
            the_webotp_line_names_the_host_without_its_port(app).await;
        }
    }
}
