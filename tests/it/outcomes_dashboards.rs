//! Dashboards, export and transfers (SPEC §4): caseload order, supervisors' sections, the
//! owner's figures, the CSV export, and a client moving to another provider.

use reqwest::StatusCode;

use crate::common::{STRONG_PASSWORD, TestApp, count_rows, create_client, create_staff};
use crate::outcomes_common::{
    EXPORT_HEADER, caseload, client_page, column, error_texts, export_lines, figure, number, ors_series,
    practice, progress_rows, rate, select_texts, sign_in, table_rows, total,
};

async fn the_dashboard_lists_red_clients_first(app: TestApp) {
    let p = practice(&app).await;
    let (green, _, _) = create_client(&p.pat, None, "").await;
    ors_series(&p.pat, green, &["20", "25"]).await;
    let (unrated, _, _) = create_client(&p.pat, None, "").await;
    let (amber, _, _) = create_client(&p.pat, None, "").await;
    ors_series(&p.pat, amber, &["20", "20"]).await;
    let (red, _, _) = create_client(&p.pat, None, "").await;
    ors_series(&p.pat, red, &["20", "14"]).await;
    let dashboard = p.pat.get("/dashboard").await;
    assert_eq!(dashboard.status, StatusCode::OK);
    let rows: Vec<(String, i32)> = caseload(&dashboard)
        .into_iter()
        .map(|(f, id, _)| (f, id))
        .collect();
    assert_eq!(
        rows,
        vec![
            ("red".to_string(), red),
            ("amber".to_string(), amber),
            ("green".to_string(), green),
            ("grey".to_string(), unrated),
        ]
    );
    // Flag, latest, change and sessions of the red client, and the date of its last session.
    let cells = select_texts(&dashboard, "table.caseload tbody tr:first-child td");
    assert_eq!(cells[0], "Red: outcome", "{cells:?}");
    let numbers: Vec<f64> = cells[1..4].iter().map(|c| number(c)).collect();
    assert_eq!(numbers, vec![14.0, -6.0, 2.0], "{cells:?}");
    assert!(!cells[4].is_empty(), "the last session's date: {cells:?}");
}

async fn a_supervisor_sees_a_line_per_provider_and_who_needs_attention(app: TestApp) {
    let p = practice(&app).await;
    let sue_id = create_staff(&p.owner, "supervisor", "sue", "", None).await;
    let pam_id = create_staff(&p.owner, "provider", "pam", "", Some(sue_id)).await;
    let pia_id = create_staff(&p.owner, "provider", "pia", "", Some(sue_id)).await;
    let (pams, _, _) = create_client(&p.owner, Some(pam_id), "").await;
    let (pias, _, _) = create_client(&p.owner, Some(pia_id), "").await;
    let (pats, _, _) = create_client(&p.owner, Some(p.pat_id), "").await;
    ors_series(&p.owner, pams, &["20", "14"]).await;
    ors_series(&p.owner, pats, &["20", "14"]).await;
    let sue = sign_in(&app, "sue", STRONG_PASSWORD).await;
    let dashboard = sue.get("/dashboard").await;
    assert_eq!(dashboard.status, StatusCode::OK);
    let lines = table_rows(&dashboard, "#provider-summary");
    let cells = |name: &str| -> Vec<String> {
        lines
            .iter()
            .find(|l| l[0] == name)
            .map(|l| l[1..].to_vec())
            .unwrap_or_default()
    };
    // Active clients, alerts, red, amber, green, no flag.
    assert_eq!(cells("Staff pam"), ["1", "0", "1", "0", "0", "0"], "{lines:?}");
    assert_eq!(cells("Staff pia"), ["1", "0", "0", "0", "0", "1"], "{lines:?}");
    assert!(cells("Staff pat").is_empty(), "not sue's provider: {lines:?}");
    assert!(
        dashboard
            .body
            .contains(&format!("/clients?provider={pam_id}&amp;sort=flag")),
        "each line opens that provider's list"
    );
    let ids: Vec<i32> = caseload(&dashboard).into_iter().map(|(_, id, _)| id).collect();
    assert_eq!(
        ids,
        vec![pams],
        "only sue's providers' clients needing attention: {ids:?}"
    );
    assert!(!ids.contains(&pias) && !ids.contains(&pats));
}

async fn the_owner_dashboard_shows_account_wide_figures(app: TestApp) {
    let p = practice(&app).await;
    let (improving, _, _) = create_client(&p.pat, None, "").await;
    ors_series(&p.pat, improving, &["20", "26"]).await;
    let (slow, _, _) = create_client(&p.pat, None, "").await;
    ors_series(&p.pat, slow, &["16", "18"]).await;
    let (single, _, _) = create_client(&p.pat, None, "").await;
    ors_series(&p.pat, single, &["10"]).await;
    create_client(&p.pat, None, "").await;
    let dashboard = p.owner.get("/dashboard").await;
    assert_eq!(dashboard.status, StatusCode::OK);
    assert_eq!(number(&figure(&dashboard, "Active clients")), 4.0);
    assert_eq!(number(&figure(&dashboard, "Episodes in statistics")), 2.0);
    assert_eq!(number(&figure(&dashboard, "Average intake")), 18.0);
    assert_eq!(number(&figure(&dashboard, "Average change")), 4.0);
    // ((26-20) + (18-16)) / 7.75 / 2 = 0.516…
    assert_eq!(number(&figure(&dashboard, "Effect size")), 0.52);
    assert_eq!(number(&figure(&dashboard, "On track")), 50.0);
    assert_eq!(number(&figure(&dashboard, "Reliable improvement")), 50.0);
    assert_eq!(number(&figure(&dashboard, "Clinically significant change")), 50.0);
    assert_eq!(number(&figure(&dashboard, "Open safety alerts")), 0.0);
    assert!(dashboard.body.contains("Clients needing attention"));
    let flagged: Vec<(String, i32)> = caseload(&dashboard)
        .into_iter()
        .map(|(f, id, _)| (f, id))
        .collect();
    assert_eq!(
        flagged,
        vec![("amber".to_string(), slow)],
        "only amber/red listed"
    );
    // A provider sees their caseload, not the figures.
    let provider = p.pat.get("/dashboard").await;
    assert!(provider.element_text("account-figures").is_none());
    assert_eq!(caseload(&provider).len(), 4);
}

async fn export_has_one_line_per_rating_and_is_for_owners_and_admins(app: TestApp) {
    let p = practice(&app).await;
    create_staff(&p.owner, "admin", "adam", "", None).await;
    let adam = sign_in(&app, "adam", STRONG_PASSWORD).await;
    let (first, _, _) = create_client(&p.pat, None, "").await;
    let (second, _, _) = create_client(&p.pat, None, "").await;
    ors_series(&p.pat, first, &["20", "22"]).await;
    total(&p.pat, first, "srs", "", "38").await;
    let mut phq9 = vec![("measure", "phq9"), ("session", "")];
    for item in [
        "item1", "item2", "item3", "item4", "item5", "item6", "item7", "item8", "item9",
    ] {
        phq9.push((item, "1"));
    }
    let answer = rate(&p.pat, second, &phq9).await;
    assert_eq!(answer.status, StatusCode::SEE_OTHER);
    let csv = p.owner.get("/export.csv").await;
    assert_eq!(csv.status, StatusCode::OK);
    assert!(
        csv.header("content-type")
            .unwrap_or_default()
            .starts_with("text/csv")
    );
    assert!(
        csv.header("content-disposition")
            .unwrap_or_default()
            .contains("attachment")
    );
    assert_eq!(csv.body.lines().next(), Some(EXPORT_HEADER));
    let lines = export_lines(&csv);
    assert_eq!(lines.len(), 4, "one line per rating: {}", csv.body);
    assert!(lines.iter().all(|l| l.len() == 13), "{lines:?}");
    let phq = lines
        .iter()
        .find(|l| l[column("measure")] == "phq9")
        .expect("PHQ-9 line");
    assert_eq!(phq[column("loinc_total")], "44261-6");
    assert_eq!(phq[column("total")], "9.0");
    assert_eq!(phq[column("client_id")], second.to_string());
    assert_eq!(phq[column("age_group")], "adult");
    assert!(phq[column("time_utc")].contains('T'), "RFC 3339 time");
    assert_eq!(adam.get("/export.csv").await.status, StatusCode::OK);
    assert_eq!(p.pat.get("/export.csv").await.status, StatusCode::FORBIDDEN);
    let sue_id = create_staff(&p.owner, "supervisor", "sue", "", None).await;
    assert!(sue_id > 0);
    let sue = sign_in(&app, "sue", STRONG_PASSWORD).await;
    assert_eq!(sue.get("/export.csv").await.status, StatusCode::FORBIDDEN);
    assert!(p.owner.get("/audit").await.body.contains("ratings.exported"));
}

async fn transferring_a_client_is_audited_and_moves_the_caseload(app: TestApp) {
    let p = practice(&app).await;
    let pam_id = create_staff(&p.owner, "provider", "pam", "", None).await;
    let pam = sign_in(&app, "pam", STRONG_PASSWORD).await;
    let (client, _, _) = create_client(&p.pat, None, "").await;
    ors_series(&p.pat, client, &["20", "24"]).await;
    assert_eq!(
        pam.get(&format!("/clients/{client}")).await.status,
        StatusCode::NOT_FOUND
    );
    let path = format!("/clients/{client}");
    let answer = p
        .owner
        .submit(
            &path,
            &path,
            &[
                ("first_name", "Casey"),
                ("last_name", "Client"),
                ("age_group", "adult"),
                ("phone", ""),
                ("email", ""),
                ("provider_id", &pam_id.to_string()),
            ],
        )
        .await;
    assert_eq!(answer.status, StatusCode::SEE_OTHER, "{:?}", error_texts(&answer));
    let audit = p.owner.get("/audit").await;
    assert!(audit.body.contains("client.transferred"), "audited");
    assert!(
        audit
            .body
            .contains(&format!("provider {} -&gt; {pam_id}", p.pat_id))
            || audit.body.contains(&format!("provider {} -> {pam_id}", p.pat_id)),
        "from and to in the details"
    );
    let page = client_page(&pam, client).await;
    assert_eq!(progress_rows(&page).len(), 2, "the ratings come along");
    assert!(
        caseload(&pam.get("/dashboard").await)
            .iter()
            .any(|(_, id, _)| *id == client)
    );
    assert_eq!(p.pat.get(&path).await.status, StatusCode::NOT_FOUND);
    let csrf = p.pat.csrf_from("/dashboard").await;
    let answer = p
        .pat
        .post(
            &format!("/clients/{client}/ratings"),
            &[("csrf_token", &csrf), ("measure", "ors"), ("total", "20")],
        )
        .await;
    assert_eq!(answer.status, StatusCode::NOT_FOUND);
    assert!(
        !caseload(&p.pat.get("/dashboard").await)
            .iter()
            .any(|(_, id, _)| *id == client)
    );
    total(&pam, client, "ors", "", "26").await;
    assert_eq!(count_rows(&app, "ratings").await, 3);
}

crate::db_tests!(
    the_dashboard_lists_red_clients_first,
    a_supervisor_sees_a_line_per_provider_and_who_needs_attention,
    the_owner_dashboard_shows_account_wide_figures,
    export_has_one_line_per_rating_and_is_for_owners_and_admins,
    transferring_a_client_is_audited_and_moves_the_caseload,
);
