//! What clients see (SPEC §3.2): plain measure names, each measure's own instruction and item
//! descriptions, empty answers that look empty, the crisis text after a safety answer, and their
//! own progress without the clinician's panel.

use reqwest::StatusCode;

use crate::common::{TestApp, create_client};
use crate::outcomes_common::{ask_for, error_texts, ors_series, practice_by_day, select_texts, sign_in};

const PHQ9_NO_HARM: [(&str, &str); 9] = [
    ("item1", "1"),
    ("item2", "1"),
    ("item3", "0"),
    ("item4", "0"),
    ("item5", "0"),
    ("item6", "0"),
    ("item7", "0"),
    ("item8", "0"),
    ("item9", "0"),
];

async fn a_client_reads_plain_names_and_each_measures_own_instruction(app: TestApp) {
    let p = practice_by_day(&app).await;
    let (client, login, password) = create_client(&p.pat, None, "").await;
    ask_for(&p.pat, client, &[("phq9", "1"), ("gad7", "1")]).await;
    let me = sign_in(&app, &login, &password).await;
    let my = me.get("/my").await;
    let names = select_texts(&my, "#pending-measures a");
    assert!(
        names.contains(&"How have you been doing?".to_string()),
        "{names:?}"
    );
    assert!(
        names.contains(&"Mood questionnaire (PHQ-9)".to_string()),
        "{names:?}"
    );
    assert!(
        names.contains(&"Worry questionnaire (GAD-7)".to_string()),
        "{names:?}"
    );
    assert!(
        !names.iter().any(|n| n.contains("ORS")),
        "no acronym first: {names:?}"
    );

    let ors = me.get("/my/measures/ors").await;
    assert!(ors.body.contains("last week"), "the ORS asks about the last week");
    assert!(
        ors.body.contains("Personal well-being"),
        "items have their descriptions"
    );
    // Nothing looks answered that is not: every line starts empty.
    let values = crate::common::attr(&ors, "input[name=item1]", "value");
    assert_eq!(values.as_deref(), Some(""));

    let answer = me
        .submit(
            "/my/measures/ors",
            "/my/measures/ors",
            &[("item1", "5"), ("item2", "5"), ("item3", "5"), ("item4", "5")],
        )
        .await;
    assert_eq!(answer.status, StatusCode::SEE_OTHER, "{:?}", error_texts(&answer));
    let srs = me.get("/my/measures/srs").await;
    assert_eq!(srs.status, StatusCode::OK);
    assert!(srs.body.contains("today&#x27;s session") || srs.body.contains("today's session"));
    assert!(
        !srs.body.contains("how have you been doing"),
        "the SRS does not ask about the last week"
    );
    assert!(srs.body.contains("I felt heard, understood and respected."));
}

async fn a_safety_answer_on_the_clients_device_shows_the_crisis_text_at_once(app: TestApp) {
    let p = practice_by_day(&app).await;
    let (client, login, password) = create_client(&p.pat, None, "").await;
    ask_for(&p.pat, client, &[("phq9", "1")]).await;
    let me = sign_in(&app, &login, &password).await;

    // Item 9 answered 0: thanks, no safety message.
    let answer = me
        .submit("/my/measures/phq9", "/my/measures/phq9", &PHQ9_NO_HARM)
        .await;
    assert_eq!(answer.status, StatusCode::SEE_OTHER, "{:?}", error_texts(&answer));
    assert_eq!(answer.location(), Some("/my?done=true"));
    assert!(
        me.get("/my?done=true")
            .await
            .element_text("safety-message")
            .is_none()
    );

    // Next session: item 9 answered "more than half the days".
    ors_series(&p.pat, client, &["20", "22"]).await;
    let mut fields = PHQ9_NO_HARM.to_vec();
    fields[8] = ("item9", "2");
    let answer = me.submit("/my/measures/phq9", "/my/measures/phq9", &fields).await;
    assert_eq!(answer.status, StatusCode::SEE_OTHER, "{:?}", error_texts(&answer));
    let next = answer.location().expect("a redirect").to_string();
    let page = me.get(&next).await;
    let crisis = page.element_text("crisis-text").expect("the crisis text");
    assert!(crisis.contains("call or text 988"), "{crisis}");
    let message = page.element_text("safety-message").expect("the safety message");
    assert!(
        message.contains("do not watch answers"),
        "says the provider does not watch in real time: {message}"
    );
}

async fn a_clients_shared_graph_shows_no_clinicians_panel(app: TestApp) {
    let p = practice_by_day(&app).await;
    let (client, login, password) = create_client(&p.pat, None, "").await;
    ors_series(&p.pat, client, &["15.6", "23.5"]).await;
    // A low alliance rating, which staff see flagged red.
    crate::outcomes_common::total(&p.pat, client, "srs", "", "20").await;
    let shared = p
        .pat
        .submit(
            &format!("/clients/{client}"),
            &format!("/clients/{client}/sharing"),
            &[("client_sees_graph", "on")],
        )
        .await;
    assert_eq!(shared.status, StatusCode::SEE_OTHER);
    let me = sign_in(&app, &login, &password).await;
    let my = me.get("/my").await;
    assert_eq!(
        my.element_text("progress-summary").as_deref(),
        Some("Your score went from 15.6 to 23.5; higher is better.")
    );
    let lower = my.body.to_lowercase();
    for word in [
        "alliance",
        "effect size",
        "cut-off",
        "flag-",
        "outcome-flag",
        "srs",
        "expected",
        "(etr)",
        "concern",
        "clinically",
    ] {
        assert!(
            !lower.contains(word),
            "the client's page says {word:?}: {}",
            my.body
        );
    }
    assert!(my.body.contains("<svg"), "the graph is there");
}

async fn the_owner_sets_the_crisis_text_and_invitation_times(app: TestApp) {
    let p = practice_by_day(&app).await;
    assert_eq!(
        p.pat.get("/options/telehealth").await.status,
        StatusCode::FORBIDDEN,
        "owner only"
    );
    let bad = p
        .owner
        .submit(
            "/options/telehealth",
            "/options/telehealth",
            &[
                ("invite_hours", "0"),
                ("send_hour", "9"),
                ("reminder_hours", "24"),
                ("crisis_text", "Call the Harbor line: 555 0100."),
            ],
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.body.contains("Call the Harbor line"), "typed values kept");
    assert!(crate::common::form_errors(&bad).contains_key("invite_hours"));
    let saved = p
        .owner
        .submit(
            "/options/telehealth",
            "/options/telehealth",
            &[
                ("invite_hours", "24"),
                ("send_hour", "9"),
                ("reminder_hours", "0"),
                ("crisis_text", "Call the Harbor line: 555 0100."),
            ],
        )
        .await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.body);
    let (client, login, password) = create_client(&p.pat, None, "+14155552674").await;
    ask_for(&p.pat, client, &[("phq9", "1")]).await;
    let sent = p
        .pat
        .submit(
            &format!("/clients/{client}"),
            &format!("/clients/{client}/invite"),
            &[("channel", "sms")],
        )
        .await;
    assert_eq!(sent.status, StatusCode::SEE_OTHER);
    let text = app.twilio.messages().pop().expect("a text");
    assert!(text.body().ends_with("It expires in 1 day."), "{}", text.body());
    let me = sign_in(&app, &login, &password).await;
    let mut fields = PHQ9_NO_HARM.to_vec();
    fields[8] = ("item9", "1");
    let answer = me.submit("/my/measures/phq9", "/my/measures/phq9", &fields).await;
    let page = me.get(answer.location().expect("redirect")).await;
    assert_eq!(
        page.element_text("crisis-text").as_deref(),
        Some("Call the Harbor line: 555 0100.")
    );
}

crate::db_tests!(
    the_owner_sets_the_crisis_text_and_invitation_times,
    a_client_reads_plain_names_and_each_measures_own_instruction,
    a_safety_answer_on_the_clients_device_shows_the_crisis_text_at_once,
    a_clients_shared_graph_shows_no_clinicians_panel,
);
