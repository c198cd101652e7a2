//! Only due measures are listed (SPEC §3.2, §3.1): the outcome measure at each session, the
//! alliance measure after it, and a symptom questionnaire (PHQ-9, GAD-7) only when the provider
//! asks for it on the client page. `/my` and a measures link list exactly those; anything else
//! a client sends is refused with nothing saved. Staff recording in session keep full choice.

use reqwest::StatusCode;

use crate::common::{Browser, TestApp, count_rows, create_client};
use crate::measures_link::{PHONE, client_with_contacts, invite, post_answers, texted_token};
use crate::outcomes_common::{
    ask_for, client_page, error_texts, options_without, practice_by_day, rate, select_texts, sign_in, total,
};

const PHQ9: [&str; 9] = ["0", "1", "0", "0", "0", "0", "0", "0", "0"];
const GAD7: [&str; 7] = ["1", "0", "0", "0", "0", "0", "0"];

fn items(values: &[&'static str]) -> Vec<(String, &'static str)> {
    values
        .iter()
        .enumerate()
        .map(|(i, v)| (format!("item{}", i + 1), *v))
        .collect()
}

/// A signed-in client's own answers to one measure.
async fn answer_own(me: &Browser, measure: &str, values: &[&'static str]) -> crate::common::Answer {
    let fields = items(values);
    let borrowed: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (k.as_str(), *v)).collect();
    // The CSRF token from `/my`: a measure that is not due has no form to take it from.
    me.submit("/my", &format!("/my/measures/{measure}"), &borrowed)
        .await
}

async fn listed(me: &Browser) -> Vec<String> {
    let my = me.get("/my").await;
    assert_eq!(my.status, StatusCode::OK);
    select_texts(&my, "#pending-measures a")
}

/// The option selected in the client page's "how often" select for `measure`.
fn asked(page: &crate::common::Answer, measure: &str) -> String {
    let document = scraper::Html::parse_document(&page.body);
    let selector = scraper::Selector::parse(&format!("#ask-{measure} option[selected]")).expect("selector");
    document.select(&selector).next().map_or_else(
        || panic!("a selected option for {measure}"),
        |o| o.text().collect::<String>(),
    )
}

const HOW: &str = "How have you been doing?";
const SESSION: &str = "How was today's session?";
const MOOD: &str = "Mood questionnaire (PHQ-9)";
const WORRY: &str = "Worry questionnaire (GAD-7)";

async fn a_questionnaire_is_listed_only_when_the_provider_asks_for_it(app: TestApp) {
    let p = practice_by_day(&app).await;
    let (client, login, password) = create_client(&p.pat, None, "").await;
    let me = sign_in(&app, &login, &password).await;
    assert_eq!(
        listed(&me).await,
        vec![HOW],
        "only the ORS before anything is asked"
    );
    let refused = answer_own(&me, "phq9", &PHQ9).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        error_texts(&refused).iter().any(|e| e.contains("not due")),
        "{:?}",
        error_texts(&refused)
    );
    assert_eq!(count_rows(&app, "ratings").await, 0, "nothing saved");
    assert_eq!(
        me.get("/my/measures/gad7").await.location(),
        Some("/my"),
        "a form that is not due leads back to the list"
    );

    assert_eq!(asked(&client_page(&p.pat, client).await, "phq9"), "Not asked");
    ask_for(&p.pat, client, &[("phq9", "1"), ("gad7", "no")]).await;
    let page = client_page(&p.pat, client).await;
    assert_eq!(asked(&page, "phq9"), "Every session");
    assert_eq!(asked(&page, "gad7"), "Not asked");
    assert_eq!(listed(&me).await, vec![HOW, MOOD]);

    // Answered before the session's ORS, the PHQ-9 still belongs to that session.
    let phq = answer_own(&me, "phq9", &PHQ9).await;
    assert_eq!(phq.status, StatusCode::SEE_OTHER, "{:?}", error_texts(&phq));
    assert_eq!(listed(&me).await, vec![HOW]);
    let ors = answer_own(&me, "ors", &["5", "5", "5", "5"]).await;
    assert_eq!(ors.status, StatusCode::SEE_OTHER, "{:?}", error_texts(&ors));
    assert_eq!(listed(&me).await, vec![SESSION], "after the session: the SRS");
    let srs = answer_own(&me, "srs", &["9", "9", "9", "9"]).await;
    assert_eq!(srs.status, StatusCode::SEE_OTHER, "{:?}", error_texts(&srs));
    assert_eq!(listed(&me).await, vec![HOW, MOOD], "session 2: both again");
    let csv = p.owner.get("/export.csv").await.body;
    let sessions: Vec<&str> = csv
        .lines()
        .filter(|l| l.contains(",phq9,") || l.contains(",ors,"))
        .map(|l| l.split(',').nth(4).unwrap_or_default())
        .collect();
    assert_eq!(sessions, vec!["1", "1"], "PHQ-9 and ORS in session 1: {csv}");

    // Staff in session keep full choice: a GAD-7 nobody asked for.
    let mut gad = vec![("measure", "gad7"), ("session", ""), ("source", "session")];
    gad.extend(["item1", "item2", "item3", "item4", "item5", "item6", "item7"].map(|i| (i, "1")));
    let staff = rate(&p.pat, client, &gad).await;
    assert_eq!(staff.status, StatusCode::SEE_OTHER, "{:?}", error_texts(&staff));
    let audit = p.owner.get("/audit.csv").await.body;
    assert!(
        audit.contains("client.questionnaires") && audit.contains("PHQ-9: every session"),
        "{audit}"
    );
}

async fn next_session_only_asks_once_and_a_period_counts_sessions(app: TestApp) {
    let p = practice_by_day(&app).await;
    let (client, login, password) = create_client(&p.pat, None, "").await;
    let me = sign_in(&app, &login, &password).await;
    ask_for(&p.pat, client, &[("phq9", "next"), ("gad7", "2")]).await;
    assert_eq!(listed(&me).await, vec![HOW, MOOD, WORRY]);
    for (measure, values) in [("phq9", &PHQ9[..]), ("gad7", &GAD7[..])] {
        let answer = answer_own(&me, measure, values).await;
        assert_eq!(answer.status, StatusCode::SEE_OTHER, "{:?}", error_texts(&answer));
    }
    assert_eq!(
        asked(&client_page(&p.pat, client).await, "phq9"),
        "Not asked",
        "asked once: spent by the answer"
    );
    // Sessions 1 and 2 on paper: at session 2 the GAD-7 (every 2nd) is not due, at 3 it is.
    total(&p.pat, client, "ors", "", "20").await;
    total(&p.pat, client, "srs", "", "38").await;
    assert_eq!(listed(&me).await, vec![HOW]);
    total(&p.pat, client, "ors", "", "22").await;
    assert_eq!(listed(&me).await, vec![SESSION]);
    total(&p.pat, client, "srs", "", "39").await;
    assert_eq!(listed(&me).await, vec![HOW, WORRY], "session 3");
}

async fn bad_questionnaire_choices_are_refused_with_nothing_saved(app: TestApp) {
    let p = practice_by_day(&app).await;
    let (client, _, _) = create_client(&p.pat, None, "").await;
    let page = format!("/clients/{client}");
    let action = format!("/clients/{client}/questionnaires");
    for fields in [
        vec![("phq9", "5")],
        vec![("phq9", "1"), ("gad7", "weekly")],
        vec![("phq9", "")],
        vec![],
    ] {
        let answer = p.pat.submit(&page, &action, &fields).await;
        assert_eq!(answer.status, StatusCode::UNPROCESSABLE_ENTITY, "{fields:?}");
        assert!(
            answer
                .element_text("invite-error")
                .is_some_and(|e| e.contains("Choose how often")),
            "{fields:?}: {:?}",
            answer.element_text("invite-error")
        );
    }
    assert_eq!(
        options_without(&p.owner, "gad7").await.status,
        StatusCode::SEE_OTHER
    );
    let off = p
        .pat
        .submit(&page, &action, &[("phq9", "1"), ("gad7", "1")])
        .await;
    assert_eq!(off.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        off.element_text("invite-error")
            .is_some_and(|e| e.contains("GAD-7 is not one of your practice's")),
        "{:?}",
        off.element_text("invite-error")
    );
    assert_eq!(count_rows(&app, "symptom_requests").await, 0, "all or nothing");
    // Another provider's client is not found.
    let other = crate::common::create_staff(&p.owner, "provider", "quinn", "", None).await;
    let (theirs, _, _) = create_client(&p.owner, Some(other), "").await;
    let foreign = p
        .pat
        .submit(
            "/clients/new",
            &format!("/clients/{theirs}/questionnaires"),
            &[("phq9", "1")],
        )
        .await;
    assert_eq!(foreign.status, StatusCode::NOT_FOUND);
    assert_eq!(count_rows(&app, "symptom_requests").await, 0);
}

async fn a_link_opens_exactly_the_due_measures_and_takes_nothing_else(app: TestApp) {
    let p = practice_by_day(&app).await;
    let client = client_with_contacts(&p, PHONE, "").await;
    ask_for(&p.pat, client, &[("phq9", "1")]).await;
    assert_eq!(invite(&p, client, "sms").await.status, StatusCode::SEE_OTHER);
    // The outbox's worker, rather than the request, may be the one that sends the text.
    for _ in 0..200 {
        if app.twilio.messages().iter().any(|m| m.to() == PHONE) {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let token = texted_token(&app, PHONE);
    let phone = app.browser();
    let list = phone.get(&format!("/m/{token}")).await;
    assert_eq!(select_texts(&list, "#pending-measures a"), vec![HOW, MOOD]);
    for (measure, values) in [
        ("gad7", &GAD7[..]),
        ("srs", &["9", "9", "9", "9"][..]),
        ("nope", &["1"][..]),
    ] {
        let refused = post_answers(&phone, &format!("/m/{token}/{measure}"), values).await;
        assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY, "{measure}");
        assert!(
            refused
                .element_text("link-error")
                .is_some_and(|e| e.contains("nothing was saved")),
            "{measure}"
        );
    }
    assert_eq!(count_rows(&app, "ratings").await, 0);
    let phq = post_answers(&phone, &format!("/m/{token}/phq9"), &PHQ9).await;
    assert_eq!(phq.location(), Some(format!("/m/{token}").as_str()));
    let ors = post_answers(&phone, &format!("/m/{token}/ors"), &["5", "6", "7", "8"]).await;
    assert_eq!(
        ors.location(),
        Some(format!("/m/{token}/done").as_str()),
        "spent once every due measure is answered (the SRS comes after the session)"
    );
    assert_eq!(phone.get(&format!("/m/{token}")).await.status, StatusCode::GONE);
    assert_eq!(count_rows(&app, "ratings").await, 2);
}

crate::db_tests!(
    a_questionnaire_is_listed_only_when_the_provider_asks_for_it,
    next_session_only_asks_once_and_a_period_counts_sessions,
    bad_questionnaire_choices_are_refused_with_nothing_saved,
    a_link_opens_exactly_the_due_measures_and_takes_nothing_else,
);
