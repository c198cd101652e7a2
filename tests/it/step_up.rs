//! Step-up (SPEC §2.2): a sensitive action more than 15 minutes after the session's last second
//! step asks for a fresh one, keeps the posted form and sends it on afterwards; people whose
//! practice asks for no second step are never asked.

use reqwest::StatusCode;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};

use crate::common::{Answer, Browser, STRONG_PASSWORD, TestApp, form_errors};

const OWNER_PHONE: &str = "+14155552670";

fn options_fields(device_days: &str) -> Vec<(&'static str, String)> {
    let mut fields = vec![
        ("device_days", device_days.to_string()),
        ("idle_minutes", "60".to_string()),
        ("reliable_change", "5".to_string()),
        ("alliance_cutoff", "36".to_string()),
        ("alliance_drop", "1".to_string()),
    ];
    for measure in ["ors", "srs", "phq9"] {
        fields.push(("measures", measure.to_string()));
    }
    fields
}

async fn save_options(owner: &Browser, device_days: &str) -> Answer {
    let fields = options_fields(device_days);
    let borrowed: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
    owner.submit("/options", "/options", &borrowed).await
}

async fn device_days(app: &TestApp) -> i32 {
    entities::account::Entity::find()
        .one(&app.db().await)
        .await
        .expect("query")
        .expect("the account")
        .device_days
}

/// A mobile-plan owner signed in with a texted code (so their session is fresh now).
async fn owner_with_code(app: &TestApp) -> Browser {
    let owner = app.signup("mobile", "olivia", OWNER_PHONE).await;
    owner.login("olivia", STRONG_PASSWORD).await;
    let code = app.twilio.last_code_to(OWNER_PHONE).expect("code");
    let done = owner
        .submit("/login/verify", "/login/verify", &[("code", &code)])
        .await;
    assert_eq!(done.location(), Some("/"));
    owner
}

async fn a_fresh_second_step_lets_a_sensitive_action_through(app: TestApp) {
    let owner = owner_with_code(&app).await;
    let saved = save_options(&owner, "200").await;
    assert_eq!(saved.location(), Some("/options?saved=true"), "{}", saved.body);
    assert_eq!(device_days(&app).await, 200);
    assert_eq!(owner.get("/export.csv").await.status, StatusCode::OK);
}

async fn after_fifteen_minutes_the_form_is_kept_until_the_person_steps_up(app: TestApp) {
    let owner = owner_with_code(&app).await;
    save_options(&owner, "365").await; // idle sign-out at 60 minutes
    app.clock.advance(15 * 60 + 1);

    let kept = save_options(&owner, "100").await;
    assert_eq!(kept.status, StatusCode::SEE_OTHER);
    let step_up = kept.location().unwrap_or_default().to_string();
    assert!(step_up.starts_with("/step-up?next=/step-up/resume/"), "{step_up}");
    assert_eq!(device_days(&app).await, 365, "nothing saved yet");

    let page = owner.get(&step_up).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("Confirm it is you"));
    let csrf = page.csrf_token().expect("token");
    let next = step_up.trim_start_matches("/step-up?next=");
    let texted = owner
        .post(
            &format!("/step-up/resend?next={next}"),
            &[("csrf_token", csrf.as_str())],
        )
        .await;
    assert_eq!(texted.status, StatusCode::SEE_OTHER);
    let code = app.twilio.last_code_to(OWNER_PHONE).expect("a new code");
    let wrong = owner
        .post(
            "/step-up",
            &[
                ("csrf_token", csrf.as_str()),
                ("method", "sms"),
                ("code", "000000"),
                ("next", next),
            ],
        )
        .await;
    assert_eq!(wrong.status, StatusCode::UNPROCESSABLE_ENTITY);
    let passed = owner
        .post(
            "/step-up",
            &[
                ("csrf_token", csrf.as_str()),
                ("method", "sms"),
                ("code", &code),
                ("next", next),
            ],
        )
        .await;
    assert_eq!(passed.location(), Some(next));

    // The kept form comes back with every field, ready to send on.
    let resume = owner.get(next).await;
    assert_eq!(resume.status, StatusCode::OK);
    let document = scraper::Html::parse_document(&resume.body);
    let form = scraper::Selector::parse("form#resubmit").expect("selector");
    let action = document
        .select(&form)
        .next()
        .and_then(|f| f.value().attr("action"))
        .unwrap_or_default();
    assert_eq!(action, "/options");
    let selector = scraper::Selector::parse("form#resubmit input[type=hidden]").expect("selector");
    let fields: Vec<(String, String)> = document
        .select(&selector)
        .map(|e| {
            (
                e.value().attr("name").unwrap_or_default().to_string(),
                e.value().attr("value").unwrap_or_default().to_string(),
            )
        })
        .collect();
    assert!(fields.contains(&("device_days".to_string(), "100".to_string())));
    let borrowed: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let sent = owner.post("/options", &borrowed).await;
    assert_eq!(sent.location(), Some("/options?saved=true"), "{}", sent.body);
    assert_eq!(device_days(&app).await, 100);
    assert!(form_errors(&sent).is_empty());
    assert_eq!(owner.get(next).await.status, StatusCode::BAD_REQUEST, "sent once");

    let rows = entities::audit_log::Entity::find()
        .filter(entities::audit_log::Column::Action.eq("step_up"))
        .all(&app.db().await)
        .await
        .expect("audit");
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].details.as_deref(), Some("factor sms"));
    assert!(rows[0].ip.is_some());
}

async fn a_stale_export_is_sent_to_the_step_up_and_back(app: TestApp) {
    let owner = owner_with_code(&app).await;
    save_options(&owner, "365").await;
    app.clock.advance(16 * 60);
    let export = owner.get("/export.csv").await;
    assert_eq!(export.status, StatusCode::SEE_OTHER);
    assert_eq!(export.location(), Some("/step-up?next=%2Fexport.csv"));
    assert!(!owner.get("/audit.csv").await.status.is_success());
}

async fn people_whose_practice_asks_no_second_step_are_never_asked(app: TestApp) {
    let owner = app.signup("pro", "olivia", "").await;
    owner.login("olivia", STRONG_PASSWORD).await;
    save_options(&owner, "365").await;
    for _ in 0..3 {
        app.clock.advance(10 * 60);
        owner.get("/dashboard").await;
    }
    let saved = save_options(&owner, "90").await;
    assert_eq!(saved.location(), Some("/options?saved=true"));
    assert_eq!(owner.get("/export.csv").await.status, StatusCode::OK);
}

crate::db_tests!(
    a_fresh_second_step_lets_a_sensitive_action_through,
    after_fifteen_minutes_the_form_is_kept_until_the_person_steps_up,
    a_stale_export_is_sent_to_the_step_up_and_back,
    people_whose_practice_asks_no_second_step_are_never_asked,
);
