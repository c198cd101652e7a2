//! The rest of SPEC §3.3 for clinicians: the practice's time zone and phone country, the
//! confirmation pages, "Saved" notices, the readable audit log, the graph and printed pages.

use reqwest::StatusCode;

use crate::common::{
    AppOptions, Backend, STRONG_PASSWORD, TestApp, create_client, create_staff, form_errors,
};
use crate::outcomes_common::{
    client_page, error_texts, export_lines, ors_series, practice, progress_rows, select_texts, table_rows,
    total,
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

async fn the_audit_log_names_people_and_events_and_filters_and_pages(app: TestApp) {
    let p = practice(&app).await;
    let (client, _, _) = create_client(&p.pat, None, "").await;
    for _ in 0..55 {
        client_page(&p.pat, client).await;
    }
    let audit = p.owner.get("/audit").await;
    assert_eq!(audit.status, StatusCode::OK);
    let rows = table_rows(&audit, "#audit-log");
    assert_eq!(rows.len(), 50, "a page of 50");
    assert_eq!(rows[0][1], "Client record opened");
    assert_eq!(rows[0][2], "Staff pat", "the actor by name");
    assert_eq!(rows[0][3], "Casey Client", "the subject by name");
    assert!(
        !audit.body.contains(">user ") && !audit.body.contains(">client "),
        "no bare ids"
    );
    assert!(crate::common::attr(&audit, "a[rel=next]", "href").is_some());
    let filtered = p
        .owner
        .get(&format!("/audit?person={}&event=login.succeeded", p.pat_id))
        .await;
    let rows = table_rows(&filtered, "#audit-log");
    assert_eq!(rows.len(), 1, "pat signed in once: {rows:?}");
    assert_eq!(rows[0][1], "Signed in");
    let about = p.owner.get(&format!("/audit?person={client}")).await;
    assert!(
        table_rows(&about, "#audit-log")
            .iter()
            .all(|r| r[3] == "Casey Client" || r[2] == "Casey Client")
    );
    assert!(
        about
            .body
            .contains(&format!("<option value=\"{client}\" selected>")),
        "the client is named"
    );
    let future = p.owner.get("/audit?from=2999-01-01").await;
    assert!(future.element_text("no-events").is_some());
    let today = chrono::Utc::now().date_naive();
    let window = format!(
        "/audit?from={}&to={}",
        today.pred_opt().expect("day"),
        today.succ_opt().expect("day")
    );
    assert!(!table_rows(&p.owner.get(&window).await, "#audit-log").is_empty());
    let bad = p.owner.get("/audit?from=31/12/2026&to=2026-01-01&person=x").await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    let errors = form_errors(&bad);
    assert!(
        errors["from"].contains("YYYY-MM-DD") && errors.contains_key("person"),
        "{errors:?}"
    );
    assert_eq!(
        crate::common::attr(&bad, "#f-from", "value").as_deref(),
        Some("31/12/2026"),
        "typed values survive"
    );
    let reversed = p.owner.get("/audit?from=2026-02-01&to=2026-01-01").await;
    assert!(form_errors(&reversed).contains_key("to"));
}

async fn the_graph_and_the_printed_pages_explain_themselves(app: TestApp) {
    let p = practice(&app).await;
    let (client, _, _) = create_client(&p.pat, None, "").await;
    ors_series(&p.pat, client, &["20", "18"]).await;
    total(&p.pat, client, "srs", "", "34").await;
    let page = client_page(&p.pat, client).await;
    for part in [
        "<polygon ",
        ">Expected range (±5)</text>",
        ">SRS concern below 36</text>",
        ">Clinical cut-off</text>",
    ] {
        assert!(page.body.contains(part), "{part}");
    }
    assert!(page.body.contains("chart-narrow-title"), "the phone layout too");
    let rows = progress_rows(&page);
    assert!(
        rows.iter().all(|r| r.last().is_some_and(|d| d.len() >= 10)),
        "dates: {rows:?}"
    );
    let explain = select_texts(&page, "#explain p");
    assert!(
        explain[0].contains("At session 2 the score of 18.0"),
        "{explain:?}"
    );
    assert!(
        explain[1].contains("34.0") && explain[1].ends_with('.'),
        "{explain:?}"
    );
    let header = page.element_text("print-header").unwrap_or_default();
    assert!(header.contains("Harbor Counseling") && header.contains("Staff pat") && header.contains("UTC"));
    // Printed credentials: practice, address, what happens next; the staff-only line is not printed.
    let owner = &p.owner;
    let switched = owner
        .submit(
            "/options",
            "/options",
            &[
                ("client_two_factor", "on"),
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
    assert_eq!(switched.status, StatusCode::SEE_OTHER);
    let made = owner
        .submit(
            "/clients/new",
            "/clients/new",
            &[
                ("first_name", "Dee"),
                ("last_name", "Phone"),
                ("age_group", "adult"),
                ("phone", "(415) 555-2671"),
                ("email", ""),
                ("provider_id", &p.pat_id.to_string()),
            ],
        )
        .await;
    assert_eq!(
        made.element_text("client-practice").as_deref(),
        Some("Harbor Counseling")
    );
    assert_eq!(
        made.element_text("client-sign-in-at").as_deref(),
        Some("http://127.0.0.1:8000/login")
    );
    let steps = made.element_text("next-steps").unwrap_or_default();
    assert!(
        steps.contains("6-digit code is texted") && steps.contains("2671"),
        "{steps}"
    );
    let staff_only = select_texts(&made, ".no-print");
    assert!(
        staff_only.iter().any(|t| t.contains("shown only once")),
        "{staff_only:?}"
    );
}

crate::db_tests!(
    times_and_phone_numbers_follow_the_practices_settings,
    new_practices_take_the_servers_phone_country,
    destructive_actions_ask_first_on_a_page_of_their_own,
    an_episode_with_an_open_safety_alert_is_not_closed,
    every_save_says_saved_and_the_sign_up_welcome_shows,
    the_audit_log_names_people_and_events_and_filters_and_pages,
    the_graph_and_the_printed_pages_explain_themselves,
);
