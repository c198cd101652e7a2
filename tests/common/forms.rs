//! Page-level helpers: staff and clients made through their forms, Options saved, answers read.

use std::collections::HashMap;

use reqwest::StatusCode;
use sea_orm::ConnectionTrait;

use super::{Answer, Browser, STRONG_PASSWORD, TestApp, secrets};

/// Creates a staff member through `/staff/new` as `manager`; returns their id.
pub async fn create_staff(
    manager: &Browser,
    role: &str,
    login: &str,
    phone: &str,
    supervisor_id: Option<i32>,
) -> i32 {
    let supervisor = supervisor_id.map(|i| i.to_string()).unwrap_or_default();
    let answer = manager
        .submit(
            "/staff/new",
            "/staff/new",
            &[
                ("full_name", &format!("Staff {login}")),
                ("user_id", login),
                ("password", STRONG_PASSWORD),
                ("role", role),
                ("phone", phone),
                ("email", &format!("{login}@example.com")),
                ("supervisor_id", &supervisor),
            ],
        )
        .await;
    assert_eq!(
        answer.status,
        StatusCode::SEE_OTHER,
        "create staff failed: {}",
        answer.body
    );
    id_from_location(answer.location().unwrap_or_default())
}

/// Creates a client through `/clients/new`; returns (id, user ID, password).
pub async fn create_client(staff: &Browser, provider_id: Option<i32>, phone: &str) -> (i32, String, String) {
    let provider = provider_id.map(|i| i.to_string()).unwrap_or_default();
    let answer = staff
        .submit(
            "/clients/new",
            "/clients/new",
            &[
                ("first_name", "Casey"),
                ("last_name", "Client"),
                ("age_group", "adult"),
                ("phone", phone),
                ("email", ""),
                ("provider_id", &provider),
            ],
        )
        .await;
    assert_eq!(
        answer.status,
        StatusCode::OK,
        "create client failed: {}",
        answer.body
    );
    let login = answer.element_text("client-user-id").expect("user ID shown");
    let password = answer.element_text("client-password").expect("password shown");
    secrets::note(&staff.base, &password);
    let document = scraper::Html::parse_document(&answer.body);
    let selector = scraper::Selector::parse("a[href^='/clients/']").expect("selector");
    let id = document
        .select(&selector)
        .filter_map(|a| a.value().attr("href"))
        .find_map(|href| href.trim_start_matches("/clients/").parse::<i32>().ok())
        .expect("link to the client page");
    (id, login, password)
}

pub fn id_from_location(location: &str) -> i32 {
    location
        .trim_start_matches("/staff/")
        .trim_start_matches("/clients/")
        .split(['?', '/'])
        .next()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("no id in {location}"))
}

/// Counts rows of a table straight from the database (for "nothing was saved").
pub async fn count_rows(app: &TestApp, table: &str) -> i64 {
    let db = app.db().await;
    let backend = db.get_database_backend();
    let row = db
        .query_one_raw(sea_orm::Statement::from_string(
            backend,
            format!("SELECT COUNT(*) AS n FROM {table}"),
        ))
        .await
        .expect("count query")
        .expect("a row");
    row.try_get::<i64>("", "n").expect("count")
}

pub fn form_errors(answer: &Answer) -> HashMap<String, String> {
    let document = scraper::Html::parse_document(&answer.body);
    let selector = scraper::Selector::parse("p.error[id^='e-']").expect("selector");
    document
        .select(&selector)
        .filter_map(|e| {
            let id = e.value().attr("id")?.trim_start_matches("e-").to_string();
            Some((id, e.text().collect::<String>()))
        })
        .collect()
}

/// Posts the whole Options form as the owner (all measures on, default thresholds).
pub async fn save_options(
    owner: &Browser,
    staff_two_factor: bool,
    client_two_factor: bool,
    device_days: &str,
    idle_minutes: &str,
) -> Answer {
    let flag = |on: bool| if on { "on" } else { "" };
    let mut fields = vec![
        ("staff_two_factor", flag(staff_two_factor)),
        ("client_two_factor", flag(client_two_factor)),
        ("device_days", device_days),
        ("idle_minutes", idle_minutes),
        ("reliable_change", "5"),
        ("alliance_cutoff", "36"),
        ("alliance_drop", "1"),
    ];
    for measure in ["ors", "cors", "srs", "csrs", "phq9", "gad7"] {
        fields.push(("measures", measure));
    }
    owner.submit("/options", "/options", &fields).await
}

/// The owner switches on "Require an authenticator app for staff" (with staff two-factor).
pub async fn require_app_for_staff(owner: &Browser) {
    let answer = owner
        .submit(
            "/options",
            "/options",
            &[
                ("staff_two_factor", "on"),
                ("staff_require_authenticator", "on"),
                ("device_days", "365"),
                ("idle_minutes", "15"),
                ("reliable_change", "5"),
                ("alliance_cutoff", "36"),
                ("alliance_drop", "1"),
                ("measures", "ors"),
                ("measures", "srs"),
            ],
        )
        .await;
    assert_eq!(
        answer.status,
        StatusCode::SEE_OTHER,
        "options saved: {}",
        answer.body
    );
}

/// An attribute of the first element matching `css`.
pub fn attr(answer: &Answer, css: &str, name: &str) -> Option<String> {
    let document = scraper::Html::parse_document(&answer.body);
    let selector = scraper::Selector::parse(css).ok()?;
    document
        .select(&selector)
        .next()
        .and_then(|e| e.value().attr(name))
        .map(str::to_string)
}
