//! The audit log, the graph and the printed pages as clinicians and owners read them
//! (SPEC §3.3): names and plain events, filters and pages; the band, threshold and dates; the
//! printed client page and credentials.

use reqwest::StatusCode;

use crate::common::TestApp;
use crate::common::{create_client, form_errors};
use crate::outcomes_common::{
    client_page, ors_series, practice, progress_rows, select_texts, table_rows, total,
};

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
    the_audit_log_names_people_and_events_and_filters_and_pages,
    the_graph_and_the_printed_pages_explain_themselves,
);
