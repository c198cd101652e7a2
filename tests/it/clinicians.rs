//! The rest of SPEC §3.3 for clinicians: the practice's time zone and phone country, the
//! confirmation pages, "Saved" notices, the readable audit log, the graph and printed pages.

use reqwest::StatusCode;

use crate::common::{
    AppOptions, Backend, STRONG_PASSWORD, TestApp, create_client, create_staff, form_errors,
};
use crate::outcomes_common::{
    client_page, error_texts, export_lines, ors_series, practice, select_texts, table_rows, total,
};

/// The whole Options form with this time zone and country (two-factor off, every measure).
async fn locale(owner: &crate::common::Browser, zone: &str, region: &str) -> crate::common::Answer {
    let mut fields = vec![
        ("device_days", "365"),
        ("idle_minutes", "15"),
        ("reliable_change", "5"),
        ("alliance_cutoff", "36"),
        ("alliance_drop", "1"),
        ("time_zone", zone),
        ("phone_region", region),
    ];
    for m in crate::outcomes_common::ALL_MEASURES {
        fields.push(("measures", m));
    }
    owner.submit("/options", "/options", &fields).await
}

/// The chosen option of a select.
fn selected(page: &crate::common::Answer, field: &str) -> Option<String> {
    crate::common::attr(page, &format!("#f-{field} option[selected]"), "value")
}

async fn times_and_phone_numbers_follow_the_practices_settings(app: TestApp) {
    let p = practice(&app).await;
    // Before: UTC and the server's country (US).
    let pam = create_staff(&p.owner, "provider", "pam", "(415) 555-2671", None).await;
    let options = p.owner.get("/options").await;
    assert_eq!(selected(&options, "time_zone").as_deref(), Some("UTC"));
    assert_eq!(selected(&options, "phone_region").as_deref(), Some("US"));
    assert!(
        options.body.contains("(201) 555-0123"),
        "the form says which numbers it takes"
    );
    // Bad values are refused with their own words, nothing saved.
    let bad = locale(&p.owner, "Mars/Olympus", "XX").await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    let errors = form_errors(&bad);
    assert!(errors["time_zone"].contains("time zone") && errors["phone_region"].contains("country"));
    assert_eq!(
        selected(&p.owner.get("/options").await, "time_zone").as_deref(),
        Some("UTC")
    );
    // Tokyo and Britain.
    let saved = locale(&p.owner, "Asia/Tokyo", "GB").await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{:?}", error_texts(&saved));
    let options = p.owner.get("/options?saved=true").await;
    assert_eq!(selected(&options, "time_zone").as_deref(), Some("Asia/Tokyo"));
    assert!(options.body.contains("07400 123456"), "the GB example");
    // A national British number is read as one; the American one is now foreign.
    let gb = create_staff(&p.owner, "provider", "gil", "07911 123456", None).await;
    let staff = table_rows(&p.owner.get("/staff").await, "table");
    let phone = |login: &str| staff.iter().find(|r| r[1] == login).map(|r| r[3].clone());
    assert_eq!(phone("gil").as_deref(), Some("07911 123456"));
    assert_eq!(phone("pam").as_deref(), Some("+1 415-555-2671"));
    assert!(
        p.owner
            .get(&format!("/staff/{gb}"))
            .await
            .body
            .contains("value=\"07911 123456\"")
    );
    assert!(
        p.owner
            .get(&format!("/staff/{pam}"))
            .await
            .body
            .contains("value=\"+1 415-555-2671\"")
    );
    // Times: the audit log, the devices page and the exports in Tokyo time.
    let audit = p.owner.get("/audit").await;
    let when = select_texts(&audit, "#audit-log tbody td:first-child");
    assert!(when.iter().all(|t| t.ends_with("JST")), "{when:?}");
    assert!(
        audit.body.contains("Times are in Asia&#x2F;Tokyo"),
        "the zone is named"
    );
    let (client, _, _) = create_client(&p.pat, None, "").await;
    ors_series(&p.pat, client, &["20"]).await;
    let csv = p.owner.get("/export.csv").await;
    let line = export_lines(&csv).pop().expect("a rating");
    assert!(line[12].ends_with("+09:00"), "time_local: {line:?}");
    assert!(line[11].ends_with("+00:00"), "time_utc stays: {line:?}");
    let audit_csv = p.owner.get("/audit.csv").await;
    assert!(
        audit_csv
            .body
            .lines()
            .nth(1)
            .is_some_and(|l| l.contains("+09:00"))
    );
    let options_audit = p.owner.get("/audit?event=options.changed").await;
    assert!(
        options_audit
            .body
            .contains("time_zone: UTC -&gt; Asia&#x2F;Tokyo"),
        "audited"
    );
}

async fn new_practices_take_the_servers_phone_country(_app: TestApp) {
    let extra = vec![("phone_region", "GB".to_string())];
    let Some(app) = TestApp::spawn_with(
        Backend::Sqlite,
        AppOptions {
            public_url: None,
            extra,
        },
    )
    .await
    else {
        return;
    };
    let owner = app.signup("pro", "olivia", "07911 123456").await;
    owner.login("olivia", STRONG_PASSWORD).await;
    assert_eq!(
        selected(&owner.get("/options").await, "phone_region").as_deref(),
        Some("GB")
    );
}

async fn destructive_actions_ask_first_on_a_page_of_their_own(app: TestApp) {
    let p = practice(&app).await;
    let (client, _, _) = create_client(&p.pat, None, "").await;
    ors_series(&p.pat, client, &["20", "22"]).await;
    let base = format!("/clients/{client}");
    let pages = [
        (&p.pat, format!("{base}/episodes/close")),
        (&p.pat, format!("{base}/deactivate")),
        (&p.pat, format!("{base}/password")),
        (&p.owner, format!("{base}/devices/revoke")),
        (&p.owner, format!("{base}/two-factor/reset")),
        (&p.owner, format!("/staff/{}/deactivate", p.pat_id)),
        (&p.owner, format!("/staff/{}/devices/revoke", p.pat_id)),
        (&p.owner, format!("/staff/{}/two-factor/reset", p.pat_id)),
    ];
    for (who, path) in &pages {
        let from = if path.starts_with("/staff") {
            p.owner.get(&format!("/staff/{}", p.pat_id)).await
        } else {
            client_page(who, client).await
        };
        assert!(
            from.body.contains(&format!("href=\"{path}\"")),
            "a link to {path}"
        );
        assert!(
            !from.body.contains(&format!("action=\"{path}\"")),
            "no one-click form for {path}"
        );
        let confirm = who.get(path).await;
        assert_eq!(confirm.status, StatusCode::OK, "{path}");
        assert!(
            confirm.body.contains(&format!("action=\"{path}\"")),
            "{path} posts to itself"
        );
        assert!(confirm.body.contains("Cancel"));
    }
    // Only managers reach the device and second-factor pages; nobody reaches another caseload's.
    assert_eq!(
        p.pat.get(&format!("{base}/devices/revoke")).await.status,
        StatusCode::FORBIDDEN
    );
    create_staff(&p.owner, "provider", "pam", "", None).await;
    let pam = crate::outcomes_common::sign_in(&app, "pam", STRONG_PASSWORD).await;
    assert_eq!(
        pam.get(&format!("{base}/episodes/close")).await.status,
        StatusCode::NOT_FOUND
    );
    // Confirming acts and says so.
    let closed = p
        .pat
        .submit(
            &format!("{base}/episodes/close"),
            &format!("{base}/episodes/close"),
            &[],
        )
        .await;
    assert_eq!(
        closed.location(),
        Some(format!("{base}?saved=episode-closed#progress").as_str())
    );
    let page = p.pat.get(&format!("{base}?saved=episode-closed")).await;
    assert!(
        page.element_text("saved")
            .is_some_and(|t| t.contains("episode is closed"))
    );
    let reset = p
        .pat
        .submit(&format!("{base}/password"), &format!("{base}/password"), &[])
        .await;
    assert_eq!(reset.status, StatusCode::OK);
    assert!(reset.element_text("client-password").is_some());
}

async fn an_episode_with_an_open_safety_alert_is_not_closed(app: TestApp) {
    let p = practice(&app).await;
    let (client, _, _) = create_client(&p.pat, None, "").await;
    let mut phq9 = vec![("measure", "phq9"), ("session", ""), ("source", "paper")];
    for item in [
        "item1", "item2", "item3", "item4", "item5", "item6", "item7", "item8",
    ] {
        phq9.push((item, "0"));
    }
    phq9.push(("item9", "2"));
    crate::outcomes_common::rate(&p.pat, client, &phq9).await;
    let path = format!("/clients/{client}/episodes/close");
    let confirm = p.pat.get(&path).await;
    assert!(
        confirm.element_text("confirm-blocked").is_some() && !confirm.body.contains("class=\"confirm\""),
        "no button"
    );
    let csrf = p.pat.csrf_from(&format!("/clients/{client}")).await;
    let refused = p.pat.post(&path, &[("csrf_token", &csrf)]).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    let page = client_page(&p.pat, client).await;
    assert!(!page.body.contains("(closed)"), "still open");
}

async fn every_save_says_saved_and_the_sign_up_welcome_shows(app: TestApp) {
    for query in ["signed_up=1", "signed_up=true"] {
        let login = app.browser().get(&format!("/login?{query}")).await;
        assert!(login.body.contains("Your practice is set up"), "{query}");
    }
    let p = practice(&app).await;
    let (client, _, _) = create_client(&p.pat, None, "").await;
    let path = format!("/clients/{client}");
    let fields = [
        ("first_name", "Casey"),
        ("last_name", "Renamed"),
        ("age_group", "adult"),
        ("phone", ""),
        ("email", ""),
        ("provider_id", ""),
    ];
    let answer = p.pat.submit(&path, &path, &fields).await;
    let to = answer.location().unwrap_or_default().to_string();
    assert!(
        p.pat
            .get(&to)
            .await
            .element_text("saved")
            .is_some_and(|t| t.starts_with("Saved"))
    );
    total(&p.pat, client, "ors", "", "20").await;
    let rated = p.pat.get(&format!("{path}?saved=rating")).await;
    assert!(
        rated
            .element_text("saved")
            .is_some_and(|t| t.contains("rating is recorded"))
    );
    let staff = p
        .owner
        .submit(
            &format!("/staff/{}", p.pat_id),
            &format!("/staff/{}", p.pat_id),
            &[
                ("full_name", "Staff pat"),
                ("password", ""),
                ("role", "provider"),
                ("phone", ""),
                ("email", "pat@example.com"),
                ("supervisor_id", ""),
            ],
        )
        .await;
    let to = staff.location().unwrap_or_default().to_string();
    assert!(
        p.owner.get(&to).await.element_text("saved").is_some(),
        "staff saved: {to}"
    );
    let revoke = p
        .owner
        .submit(
            &format!("/staff/{}", p.pat_id),
            &format!("/staff/{}/devices/revoke", p.pat_id),
            &[],
        )
        .await;
    let to = revoke.location().unwrap_or_default().to_string();
    assert!(
        p.owner
            .get(&to)
            .await
            .element_text("saved")
            .is_some_and(|t| t.contains("revoked"))
    );
}

crate::db_tests!(
    times_and_phone_numbers_follow_the_practices_settings,
    new_practices_take_the_servers_phone_country,
    destructive_actions_ask_first_on_a_page_of_their_own,
    an_episode_with_an_open_safety_alert_is_not_closed,
    every_save_says_saved_and_the_sign_up_welcome_shows,
);
