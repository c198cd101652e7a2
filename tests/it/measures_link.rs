//! Measures links (SPEC §3.1): sent by text, e-mail or both from the client page; `/m/<token>`
//! opens only the due measures, reveals nothing else, is spent when they are answered, expires,
//! is revoked by a change of phone or e-mail, and counts against the send limits.

use reqwest::StatusCode;

use crate::common::{Browser, TestApp};
use crate::outcomes_common::{Practice, ask_for, error_texts, practice_by_day, select_texts};

pub(crate) const PHONE: &str = "+14155552672";

/// A client of Pat's with a phone and an e-mail address; returns their id.
pub(crate) async fn client_with_contacts(p: &Practice, phone: &str, email: &str) -> i32 {
    let answer = p
        .pat
        .submit(
            "/clients/new",
            "/clients/new",
            &[
                ("first_name", "Casey"),
                ("last_name", "Quill"),
                ("age_group", "adult"),
                ("phone", phone),
                ("email", email),
                ("provider_id", &p.pat_id.to_string()),
            ],
        )
        .await;
    assert_eq!(answer.status, StatusCode::OK, "{:?}", error_texts(&answer));
    let document = scraper::Html::parse_document(&answer.body);
    let selector = scraper::Selector::parse("a[href^='/clients/']").expect("selector");
    document
        .select(&selector)
        .filter_map(|a| a.value().attr("href"))
        .find_map(|href| href.trim_start_matches("/clients/").parse::<i32>().ok())
        .expect("link to the client page")
}

pub(crate) async fn invite(p: &Practice, client: i32, channel: &str) -> crate::common::Answer {
    p.pat
        .submit(
            &format!("/clients/{client}"),
            &format!("/clients/{client}/invite"),
            &[("channel", channel)],
        )
        .await
}

/// The token in the last link texted to `phone`.
pub(crate) fn texted_token(app: &TestApp, phone: &str) -> String {
    let message = app
        .twilio
        .messages()
        .into_iter()
        .rev()
        .find(|m| m.to() == phone)
        .expect("a text");
    token_in(message.body())
}

pub(crate) fn token_in(text: &str) -> String {
    let start = text.find("/m/").expect("a link") + 3;
    text[start..start + 32].to_string()
}

fn answers(values: &[&'static str]) -> Vec<(String, &'static str)> {
    values
        .iter()
        .enumerate()
        .map(|(i, v)| (format!("item{}", i + 1), *v))
        .collect()
}

pub(crate) async fn post_answers(
    browser: &Browser,
    path: &str,
    values: &[&'static str],
) -> crate::common::Answer {
    let fields = answers(values);
    let borrowed: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (k.as_str(), *v)).collect();
    browser.post(path, &borrowed).await
}

async fn a_texted_link_opens_only_the_due_measures_and_is_spent_when_answered(app: TestApp) {
    let p = practice_by_day(&app).await;
    let client = client_with_contacts(&p, PHONE, "").await;
    ask_for(&p.pat, client, &[("phq9", "1"), ("gad7", "1")]).await;
    let sent = invite(&p, client, "sms").await;
    assert_eq!(sent.status, StatusCode::SEE_OTHER, "{}", sent.body);
    let texts: Vec<_> = app
        .twilio
        .messages()
        .into_iter()
        .filter(|m| m.to() == PHONE)
        .collect();
    assert_eq!(texts.len(), 1, "one text");
    let token = token_in(texts[0].body());
    assert_eq!(
        texts[0].body(),
        format!(
            "Outcomes: you have a short questionnaire to fill in: {}/m/{token} It expires in 3 days.",
            app.public_url
        )
    );
    assert!(texts[0].body().chars().count() <= 160, "one segment");
    assert!(
        token.bytes().all(|b| b.is_ascii_hexdigit()),
        "128 bits as hex: {token}"
    );

    // No password, no code, no cookie: a fresh browser opens it.
    let phone = app.browser();
    let page = phone.get(&format!("/m/{token}")).await;
    assert_eq!(page.status, StatusCode::OK);
    let names = select_texts(&page, "#pending-measures a");
    assert!(
        names.contains(&"How have you been doing?".to_string()),
        "{names:?}"
    );
    for hidden in ["Casey", "Quill", "<svg", "progress-table", "Harbor", "Sign out"] {
        assert!(!page.body.contains(hidden), "the link page shows {hidden:?}");
    }
    // Only the due measures: the SRS is not due before the ORS.
    let srs = phone.get(&format!("/m/{token}/srs")).await;
    assert_eq!(srs.status, StatusCode::SEE_OTHER);

    let ors = post_answers(&phone, &format!("/m/{token}/ors"), &["5", "6", "7", "8"]).await;
    assert_eq!(ors.status, StatusCode::SEE_OTHER, "{}", ors.body);
    assert_eq!(
        ors.location(),
        Some(format!("/m/{token}").as_str()),
        "more to answer"
    );
    let bad = post_answers(&phone, &format!("/m/{token}/phq9"), &["0", "9"]).await;
    assert_eq!(
        bad.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "bad input kept, nothing saved"
    );
    let phq = post_answers(
        &phone,
        &format!("/m/{token}/phq9"),
        &["0", "0", "0", "0", "0", "0", "0", "0", "0"],
    )
    .await;
    assert_eq!(phq.status, StatusCode::SEE_OTHER);
    let gad = post_answers(
        &phone,
        &format!("/m/{token}/gad7"),
        &["0", "0", "0", "0", "0", "0", "0"],
    )
    .await;
    assert_eq!(
        gad.location(),
        Some(format!("/m/{token}/done").as_str()),
        "the last one"
    );
    let spent = phone.get(&format!("/m/{token}")).await;
    assert_eq!(spent.status, StatusCode::GONE);
    assert!(spent.element_text("link-gone").is_some());
    let again = post_answers(&phone, &format!("/m/{token}/ors"), &["5", "6", "7", "8"]).await;
    assert_eq!(again.status, StatusCode::GONE, "a spent link takes nothing");
    assert_eq!(crate::common::count_rows(&app, "ratings").await, 3);
}

async fn a_link_expires_after_invite_hours(app: TestApp) {
    let p = practice_by_day(&app).await;
    let client = client_with_contacts(&p, PHONE, "").await;
    invite(&p, client, "sms").await;
    let token = texted_token(&app, PHONE);
    let phone = app.browser();
    app.clock.advance(72 * 3600 - 60);
    assert_eq!(phone.get(&format!("/m/{token}")).await.status, StatusCode::OK);
    app.clock.advance(61);
    let gone = phone.get(&format!("/m/{token}")).await;
    assert_eq!(gone.status, StatusCode::GONE);
}

async fn a_link_dies_when_the_phone_changes_and_unknown_links_look_the_same(app: TestApp) {
    let p = practice_by_day(&app).await;
    let client = client_with_contacts(&p, PHONE, "").await;
    invite(&p, client, "sms").await;
    let token = texted_token(&app, PHONE);
    let phone = app.browser();
    assert_eq!(phone.get(&format!("/m/{token}")).await.status, StatusCode::OK);
    let changed = p
        .pat
        .submit(
            &format!("/clients/{client}"),
            &format!("/clients/{client}"),
            &[
                ("first_name", "Casey"),
                ("last_name", "Quill"),
                ("age_group", "adult"),
                ("phone", "+14155552699"),
                ("email", ""),
                ("provider_id", &p.pat_id.to_string()),
            ],
        )
        .await;
    assert_eq!(
        changed.status,
        StatusCode::SEE_OTHER,
        "{:?}",
        error_texts(&changed)
    );
    let revoked = phone.get(&format!("/m/{token}")).await;
    assert_eq!(revoked.status, StatusCode::GONE);
    let unknown = phone.get("/m/0123456789abcdef0123456789abcdef").await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);
    let malformed = phone.get("/m/not-a-token").await;
    assert_eq!(malformed.status, StatusCode::NOT_FOUND);
    // One page for every refusal: nothing hints whose link it was or why.
    assert_eq!(
        revoked.element_text("link-gone"),
        unknown.element_text("link-gone")
    );
    assert_eq!(
        revoked.element_text("link-gone"),
        malformed.element_text("link-gone")
    );
}

async fn links_go_by_e_mail_or_both_and_every_send_is_audited(app: TestApp) {
    let p = practice_by_day(&app).await;
    let client = client_with_contacts(&p, PHONE, "casey@example.net").await;
    let mailed = invite(&p, client, "email").await;
    assert_eq!(mailed.status, StatusCode::SEE_OTHER);
    assert_eq!(app.twilio.count(), 0, "no text for an e-mail");
    let mails: Vec<String> = app
        .mail_files()
        .into_iter()
        .filter(|m| m.contains("casey@example.net"))
        .collect();
    assert_eq!(mails.len(), 1);
    // Quoted-printable: soft line breaks end in "=".
    let body = mails[0].replace("=\r\n", "").replace("=\n", "");
    assert!(body.contains("/m/"), "{body}");
    assert_eq!(token_in(&body).len(), 32);
    assert!(!mails[0].contains("Casey"), "no name in the message");
    let both = invite(&p, client, "both").await;
    assert_eq!(both.status, StatusCode::SEE_OTHER);
    assert_eq!(app.twilio.count(), 1);
    let audit = p.owner.get("/audit.csv").await;
    assert_eq!(audit.body.matches("invite.sent").count(), 2, "{}", audit.body);
}

async fn a_text_needs_a_phone_and_counts_against_the_send_limits(app: TestApp) {
    let p = practice_by_day(&app).await;
    let no_phone = client_with_contacts(&p, "", "").await;
    let refused = invite(&p, no_phone, "sms").await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        refused
            .element_text("invite-error")
            .is_some_and(|e| e.contains("no phone number"))
    );
    let client = client_with_contacts(&p, PHONE, "").await;
    for _ in 0..5 {
        assert_eq!(invite(&p, client, "sms").await.status, StatusCode::SEE_OTHER);
    }
    let sixth = invite(&p, client, "sms").await;
    assert_eq!(
        sixth.status,
        StatusCode::TOO_MANY_REQUESTS,
        "5 texts an hour per person"
    );
    assert_eq!(app.twilio.count(), 5, "no provider call for the sixth");
}

async fn a_safety_answer_through_the_link_shows_the_crisis_text(app: TestApp) {
    let p = practice_by_day(&app).await;
    let client = client_with_contacts(&p, PHONE, "").await;
    ask_for(&p.pat, client, &[("phq9", "1")]).await;
    invite(&p, client, "sms").await;
    let token = texted_token(&app, PHONE);
    let phone = app.browser();
    let answer = post_answers(
        &phone,
        &format!("/m/{token}/phq9"),
        &["1", "1", "1", "0", "0", "0", "0", "0", "2"],
    )
    .await;
    assert_eq!(answer.status, StatusCode::SEE_OTHER);
    let next = answer.location().expect("redirect").to_string();
    let page = phone.get(&next).await;
    assert!(
        page.element_text("crisis-text")
            .is_some_and(|t| t.contains("988")),
        "{}",
        page.body
    );
    assert!(
        page.element_text("safety-message")
            .is_some_and(|t| t.contains("do not watch answers"))
    );
}

crate::db_tests!(
    a_texted_link_opens_only_the_due_measures_and_is_spent_when_answered,
    a_link_expires_after_invite_hours,
    a_link_dies_when_the_phone_changes_and_unknown_links_look_the_same,
    links_go_by_e_mail_or_both_and_every_send_is_audited,
    a_text_needs_a_phone_and_counts_against_the_send_limits,
    a_safety_answer_through_the_link_shows_the_crisis_text,
);
