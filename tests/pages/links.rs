//! The measures-link pages for the checks: a live link (the ORS and a PHQ-9 asked for), a spent
//! one, and the client page's questionnaire choice behind it.

use reqwest::StatusCode;

use crate::common::{Browser, TestApp, create_client};

/// Tokens of a live link and of a spent one.
pub struct Links {
    pub live: String,
    pub spent: String,
    /// The client whose link is live (questionnaires asked for).
    pub asked: i32,
}

/// The token of the link last texted to `phone`, once it has gone (the outbox's worker, rather
/// than the request, may be the one that sends it).
async fn last_token(app: &TestApp, phone: &str) -> String {
    for _ in 0..200 {
        if app.twilio.messages().iter().any(|m| m.to() == phone) {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let text = app
        .twilio
        .messages()
        .into_iter()
        .rev()
        .find(|m| m.to() == phone)
        .expect("a texted link");
    let start = text.body().find("/m/").expect("a link") + 3;
    text.body()[start..start + 32].to_string()
}

async fn send(pat: &Browser, client: i32) {
    let page = format!("/clients/{client}");
    let sent = pat
        .submit(&page, &format!("{page}/invite"), &[("channel", "sms")])
        .await;
    assert_eq!(sent.status, StatusCode::SEE_OTHER, "{}", sent.body);
}

pub async fn links(app: &TestApp, pat: &Browser, pat_id: i32) -> Links {
    let (asked, _, _) = create_client(pat, Some(pat_id), "+1 415 555 2673").await;
    let page = format!("/clients/{asked}");
    let chosen = pat
        .submit(
            &page,
            &format!("{page}/questionnaires"),
            &[("phq9", "1"), ("gad7", "next")],
        )
        .await;
    assert_eq!(chosen.status, StatusCode::SEE_OTHER, "{}", chosen.body);
    send(pat, asked).await;
    let live = last_token(app, "+14155552673").await;
    let (other, _, _) = create_client(pat, Some(pat_id), "+1 415 555 2674").await;
    send(pat, other).await;
    let spent = last_token(app, "+14155552674").await;
    let fields: Vec<(String, &str)> = (1..=4).map(|i| (format!("item{i}"), "5")).collect();
    let borrowed: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (k.as_str(), *v)).collect();
    let phone = app.browser();
    let answered = phone.post(&format!("/m/{spent}/ors"), &borrowed).await;
    assert_eq!(answered.location(), Some(format!("/m/{spent}/done").as_str()));
    Links { live, spent, asked }
}
