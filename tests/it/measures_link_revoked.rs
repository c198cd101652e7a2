//! A measures link dies with the client's contact details (SPEC §3.1): deactivating the client,
//! or changing their phone or e-mail, makes an outstanding link answer the one "link does not
//! work" page (410), the same words as an unknown link, with nothing that says whose it was;
//! undoing the change does not bring the link back.

use reqwest::StatusCode;

use crate::common::{Answer, Browser, count_rows};
use crate::measures_link::{PHONE, client_with_contacts, invite, post_answers, texted_token, token_in};
use crate::outcomes_common::{Practice, error_texts, practice_by_day};

const EMAIL: &str = "casey@example.net";

/// Saves the client's details form with this phone and e-mail (name and provider unchanged).
async fn change_contacts(p: &Practice, client: i32, phone: &str, email: &str) {
    let page = format!("/clients/{client}");
    let saved = p
        .pat
        .submit(
            &page,
            &page,
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
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{:?}", error_texts(&saved));
}

/// The token in the last link mailed to `EMAIL`.
fn mailed_token(app: &crate::common::TestApp) -> String {
    // Quoted-printable: soft line breaks end in "=".
    let mail = app
        .mail_files()
        .into_iter()
        .map(|m| m.replace("=\r\n", "").replace("=\n", ""))
        .rev()
        .find(|m| m.contains(EMAIL) && m.contains("/m/"))
        .expect("a mailed link");
    token_in(&mail)
}

/// Texts to `PHONE` and mails to `EMAIL` so far.
fn sent_so_far(app: &crate::common::TestApp) -> (usize, usize) {
    let texts = app.twilio.messages().iter().filter(|m| m.to() == PHONE).count();
    let mails = app.mail_files().iter().filter(|m| m.contains(EMAIL)).count();
    (texts, mails)
}

/// Sends the link and waits until it has gone: the outbox's worker, rather than the request,
/// may be the one that sends it.
async fn send(app: &crate::common::TestApp, p: &Practice, client: i32, channel: &str) {
    let (texts, mails) = sent_so_far(app);
    assert_eq!(invite(p, client, channel).await.status, StatusCode::SEE_OTHER);
    let gone = || {
        let (t, m) = sent_so_far(app);
        (channel == "email" || t > texts) && (channel == "sms" || m > mails)
    };
    for _ in 0..200 {
        if gone() {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("the {channel} link was not sent");
}

/// The link answers the single refusal page, 410, indistinguishable from an unknown link's,
/// and takes no answer.
async fn assert_dead(app: &crate::common::TestApp, phone: &Browser, token: &str, login: &str) {
    let gone = phone.get(&format!("/m/{token}")).await;
    assert_eq!(gone.status, StatusCode::GONE);
    let unknown = phone.get("/m/0123456789abcdef0123456789abcdef").await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);
    assert_eq!(gone.element_text("link-gone"), unknown.element_text("link-gone"));
    assert_eq!(title(&gone), title(&unknown));
    for hint in ["Casey", "Quill", login, EMAIL, "deactivat", "changed", "Harbor"] {
        assert!(!gone.body.contains(hint), "the dead link's page shows {hint:?}");
    }
    let ratings = count_rows(app, "ratings").await;
    let answer = post_answers(phone, &format!("/m/{token}/ors"), &["5", "5", "5", "5"]).await;
    assert_eq!(answer.status, StatusCode::GONE);
    assert_eq!(count_rows(app, "ratings").await, ratings, "nothing saved");
}

fn title(answer: &Answer) -> String {
    let document = scraper::Html::parse_document(&answer.body);
    let selector = scraper::Selector::parse("h1").expect("selector");
    document
        .select(&selector)
        .map(|h| h.text().collect::<String>())
        .collect()
}

/// The client's user ID, from their page.
async fn login_of(p: &Practice, client: i32) -> String {
    p.pat
        .get(&format!("/clients/{client}"))
        .await
        .element_text("client-login")
        .expect("user ID on the client page")
}

async fn deactivating_the_client_kills_an_outstanding_link(app: crate::common::TestApp) {
    let p = practice_by_day(&app).await;
    let client = client_with_contacts(&p, PHONE, EMAIL).await;
    let login = login_of(&p, client).await;
    send(&app, &p, client, "sms").await;
    let token = texted_token(&app, PHONE);
    let phone = app.browser();
    assert_eq!(phone.get(&format!("/m/{token}")).await.status, StatusCode::OK);
    let confirm = format!("/clients/{client}/deactivate");
    let done = p.pat.submit(&confirm, &confirm, &[]).await;
    assert_eq!(done.status, StatusCode::SEE_OTHER);
    // Reactivated before anyone opened the link again: it stays dead.
    let back = format!("/clients/{client}/activate");
    let again = p.pat.submit(&format!("/clients/{client}"), &back, &[]).await;
    assert_eq!(again.status, StatusCode::SEE_OTHER);
    assert_dead(&app, &phone, &token, &login).await;
}

async fn a_new_phone_kills_the_link_even_when_changed_back(app: crate::common::TestApp) {
    let p = practice_by_day(&app).await;
    let client = client_with_contacts(&p, PHONE, EMAIL).await;
    let login = login_of(&p, client).await;
    send(&app, &p, client, "sms").await;
    let token = texted_token(&app, PHONE);
    change_contacts(&p, client, "+14155552699", EMAIL).await;
    change_contacts(&p, client, PHONE, EMAIL).await;
    assert_dead(&app, &app.browser(), &token, &login).await;
}

async fn a_new_e_mail_address_kills_a_mailed_link_and_a_texted_one(app: crate::common::TestApp) {
    let p = practice_by_day(&app).await;
    let client = client_with_contacts(&p, PHONE, EMAIL).await;
    let login = login_of(&p, client).await;
    send(&app, &p, client, "email").await;
    let mailed = mailed_token(&app);
    send(&app, &p, client, "sms").await;
    let texted = texted_token(&app, PHONE);
    let phone = app.browser();
    assert_eq!(phone.get(&format!("/m/{mailed}")).await.status, StatusCode::OK);
    change_contacts(&p, client, PHONE, "casey.quill@example.org").await;
    assert_dead(&app, &phone, &mailed, &login).await;
    // Either contact changing ends every outstanding link: the client's details are in doubt.
    assert_dead(&app, &phone, &texted, &login).await;
    // A new link works.
    send(&app, &p, client, "sms").await;
    let fresh = texted_token(&app, PHONE);
    assert_eq!(phone.get(&format!("/m/{fresh}")).await.status, StatusCode::OK);
}

crate::db_tests!(
    deactivating_the_client_kills_an_outstanding_link,
    a_new_phone_kills_the_link_even_when_changed_back,
    a_new_e_mail_address_kills_a_mailed_link_and_a_texted_one,
);
