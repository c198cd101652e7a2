//! Invitation schedules, reminders and quiet hours (SPEC §3.1), with the app's clock moved:
//! a weekly client gets the link at the practice's send hour (10:00, UTC by default) and a week
//! later; one reminder after 48 hours when nothing was answered, none once answered; no text
//! between 21:00 and 08:00 practice time.

use std::time::Duration;

use reqwest::StatusCode;

use crate::common::{Browser, STRONG_PASSWORD, TestApp};
use crate::outcomes_common::{Practice, error_texts, practice, sign_in};

const PHONE: &str = "+14155552673";
const HOUR: i64 = 3600;
const DAY: i64 = 24 * HOUR;

async fn client_with_phone(p: &Practice) -> i32 {
    let answer = p
        .pat
        .submit(
            "/clients/new",
            "/clients/new",
            &[
                ("first_name", "Robin"),
                ("last_name", "Vale"),
                ("age_group", "adult"),
                ("phone", PHONE),
                ("email", ""),
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

fn texts(app: &TestApp) -> Vec<String> {
    app.twilio
        .messages()
        .into_iter()
        .filter(|m| m.to() == PHONE)
        .map(|m| m.body().to_string())
        .collect()
}

/// Waits (bounded, 5 s) for the client's texts to reach `count`.
async fn texts_reach(app: &TestApp, count: usize) -> Vec<String> {
    for _ in 0..100 {
        if texts(app).len() >= count {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    texts(app)
}

/// Several worker passes (it looks every 100 ms), then the texts so far.
async fn texts_after_a_while(app: &TestApp) -> Vec<String> {
    tokio::time::sleep(Duration::from_millis(400)).await;
    texts(app)
}

/// Moves the clock to the next `hour`:00 UTC plus `plus` seconds.
fn move_to_hour(app: &TestApp, hour: i64, plus: i64) {
    let now = app.clock.now();
    let today = now - now.rem_euclid(DAY);
    let mut target = today + hour * HOUR + plus;
    if target <= now {
        target += DAY;
    }
    app.clock.advance(target - now);
}

async fn set_schedule(staff: &Browser, client: i32, schedule: &str) {
    let answer = staff
        .submit(
            &format!("/clients/{client}"),
            &format!("/clients/{client}/schedule"),
            &[("invite_schedule", schedule)],
        )
        .await;
    assert_eq!(answer.status, StatusCode::SEE_OTHER, "{}", answer.body);
}

async fn a_weekly_client_gets_the_link_at_the_send_hour_one_reminder_and_next_week_another(app: TestApp) {
    let p = practice(&app).await;
    let client = client_with_phone(&p).await;
    move_to_hour(&app, 12, 0);
    let pat = sign_in(&app, "pat", STRONG_PASSWORD).await;
    set_schedule(&pat, client, "weekly").await;
    let page = pat.get(&format!("/clients/{client}")).await;
    assert!(
        page.body.contains("<option value=\"weekly\" selected>"),
        "the page shows it"
    );
    assert!(
        texts_after_a_while(&app).await.is_empty(),
        "not before the send hour"
    );

    move_to_hour(&app, 9, 59 * 60);
    assert!(texts_after_a_while(&app).await.is_empty(), "09:59: not yet");
    app.clock.advance(61);
    let sent = texts_reach(&app, 1).await;
    assert_eq!(sent.len(), 1, "10:00: the link");
    assert!(sent[0].starts_with("Outcomes: you have a short questionnaire to fill in: "));

    // Nothing answered: one reminder after 48 hours, not before, and only one.
    app.clock.advance(47 * HOUR);
    assert_eq!(texts_after_a_while(&app).await.len(), 1, "47 h: no reminder yet");
    app.clock.advance(HOUR + 60);
    let sent = texts_reach(&app, 2).await;
    assert_eq!(sent.len(), 2, "48 h: the reminder");
    assert_ne!(sent[0], sent[1], "the reminder carries its own link");
    assert!(sent[1].contains("It expires in 1 day."), "{}", sent[1]);
    app.clock.advance(12 * HOUR);
    assert_eq!(texts_after_a_while(&app).await.len(), 2, "one reminder only");

    // A week after the first: the next one, at 10:00 again.
    let first_at = 7 * DAY - (48 * HOUR + 60 + 61) - 12 * HOUR;
    app.clock.advance(first_at - 120);
    assert_eq!(
        texts_after_a_while(&app).await.len(),
        2,
        "not before the week is over"
    );
    app.clock.advance(240);
    assert_eq!(texts_reach(&app, 3).await.len(), 3, "a week later");

    // Off: nothing more.
    let pat = sign_in(&app, "pat", STRONG_PASSWORD).await;
    set_schedule(&pat, client, "off").await;
    app.clock.advance(8 * DAY);
    let count = texts_after_a_while(&app).await.len();
    assert!(count <= 4, "at most the reminder of the last link: {count}");
}

async fn no_reminder_goes_once_something_is_answered(app: TestApp) {
    let p = practice(&app).await;
    let client = client_with_phone(&p).await;
    move_to_hour(&app, 11, 0);
    let pat = sign_in(&app, "pat", STRONG_PASSWORD).await;
    let sent = pat
        .submit(
            &format!("/clients/{client}"),
            &format!("/clients/{client}/invite"),
            &[("channel", "sms")],
        )
        .await;
    assert_eq!(sent.status, StatusCode::SEE_OTHER);
    let text = texts_reach(&app, 1).await.remove(0);
    let start = text.find("/m/").expect("a link") + 3;
    let token = &text[start..start + 32];
    let answered = app
        .browser()
        .post(
            &format!("/m/{token}/ors"),
            &[("item1", "5"), ("item2", "5"), ("item3", "5"), ("item4", "5")],
        )
        .await;
    assert_eq!(answered.status, StatusCode::SEE_OTHER);
    app.clock.advance(49 * HOUR);
    assert_eq!(texts_after_a_while(&app).await.len(), 1, "answered: no reminder");
}

async fn a_text_sent_at_night_waits_for_eight_in_the_morning_practice_time(app: TestApp) {
    let p = practice(&app).await;
    let client = client_with_phone(&p).await;
    move_to_hour(&app, 22, 0);
    let pat = sign_in(&app, "pat", STRONG_PASSWORD).await;
    let sent = pat
        .submit(
            &format!("/clients/{client}"),
            &format!("/clients/{client}/invite"),
            &[("channel", "sms")],
        )
        .await;
    assert_eq!(sent.status, StatusCode::SEE_OTHER, "queued, not refused");
    assert!(texts_after_a_while(&app).await.is_empty(), "22:00: held");
    move_to_hour(&app, 7, 59 * 60);
    assert!(texts_after_a_while(&app).await.is_empty(), "07:59: still held");
    app.clock.advance(61);
    assert_eq!(texts_reach(&app, 1).await.len(), 1, "08:00: sent");
}

crate::db_tests!(
    a_weekly_client_gets_the_link_at_the_send_hour_one_reminder_and_next_week_another,
    no_reminder_goes_once_something_is_answered,
    a_text_sent_at_night_waits_for_eight_in_the_morning_practice_time,
);
