//! Episodes, switched-off measures and caseload scoping of the rating actions: closing and
//! reopening episodes, measures the practice or the age group rules out, staff outside the caseload.

use reqwest::StatusCode;

use crate::common::{STRONG_PASSWORD, TestApp, count_rows, create_client, create_staff};
use crate::outcomes_common::{
    Fields, client_page, column, create_client_aged, error_texts, export_lines, flag, options_without,
    ors_series, practice, progress_rows, rate, sign_in, total,
};

async fn closing_an_episode_and_starting_a_new_one_restarts_sessions_at_one(app: TestApp) {
    let p = practice(&app).await;
    let (client, _, _) = create_client(&p.pat, None, "").await;
    ors_series(&p.pat, client, &["20", "24", "26"]).await;
    let path = format!("/clients/{client}");
    let answer = p
        .pat
        .submit(&path, &format!("/clients/{client}/episodes/close"), &[])
        .await;
    assert_eq!(answer.status, StatusCode::SEE_OTHER);
    let page = client_page(&p.pat, client).await;
    assert!(
        page.body.contains("Episode 1 (closed)"),
        "closed episode still shown"
    );
    assert_eq!(progress_rows(&page).len(), 3);

    let answer = p
        .pat
        .submit(&path, &format!("/clients/{client}/episodes/new"), &[])
        .await;
    assert_eq!(answer.status, StatusCode::SEE_OTHER);
    let page = client_page(&p.pat, client).await;
    assert!(page.body.contains("Episode 2"), "new episode shown");
    assert!(progress_rows(&page).is_empty(), "{:?}", progress_rows(&page));

    total(&p.pat, client, "ors", "", "18").await;
    let page = client_page(&p.pat, client).await;
    let rows = progress_rows(&page);
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert_eq!(rows[0][0], "1");
    assert_eq!(rows[0][1], "18.0");
    assert_eq!(flag(&page, "outcome-flag").0, "grey", "a new intake");
    let csv = p.owner.get("/export.csv").await;
    let last = export_lines(&csv).pop().expect("a line");
    assert_eq!(
        (last[column("episode")].as_str(), last[column("session")].as_str()),
        ("2", "1")
    );
    assert_eq!(count_rows(&app, "episodes").await, 2);
}

async fn a_switched_off_measure_is_refused(app: TestApp) {
    let p = practice(&app).await;
    let (client, login, password) = create_client(&p.pat, None, "").await;
    let answer = options_without(&p.owner, "phq9").await;
    assert_eq!(answer.status, StatusCode::SEE_OTHER, "{:?}", error_texts(&answer));
    let page = client_page(&p.pat, client).await;
    assert!(!page.body.contains("value=\"phq9\""), "no PHQ-9 form");
    assert!(page.body.contains("value=\"gad7\""), "GAD-7 still offered");
    let mut fields = vec![("measure", "phq9"), ("session", "")];
    for item in [
        "item1", "item2", "item3", "item4", "item5", "item6", "item7", "item8", "item9",
    ] {
        fields.push((item, "1"));
    }
    let answer = rate(&p.pat, client, &fields).await;
    assert_eq!(answer.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(count_rows(&app, "ratings").await, 0);
    let me = sign_in(&app, &login, &password).await;
    assert!(!me.get("/my").await.body.contains("/my/measures/phq9"));
    assert_eq!(me.get("/my/measures/phq9").await.status, StatusCode::NOT_FOUND);
    // On again: accepted.
    let answer = crate::common::save_options(&p.owner, false, false, "365", "15").await;
    assert_eq!(answer.status, StatusCode::SEE_OTHER);
    let answer = rate(&p.pat, client, &fields).await;
    assert_eq!(answer.status, StatusCode::SEE_OTHER, "{:?}", error_texts(&answer));
}

/// A refused measure (switched off since the page was opened, the wrong age version, unknown)
/// re-renders the page with 422: the reason must be on it (SPEC §4: "a message next to the field").
async fn a_refused_measure_says_why_on_the_page(app: TestApp) {
    let p = practice(&app).await;
    let (adult, _, _) = create_client(&p.pat, None, "").await;
    let (child, _, _) = create_client_aged(&p.pat, p.pat_id, "child").await;
    assert_eq!(
        options_without(&p.owner, "gad7").await.status,
        StatusCode::SEE_OTHER
    );
    let mut gad7 = vec![("measure", "gad7")];
    for item in ["item1", "item2", "item3", "item4", "item5", "item6", "item7"] {
        gad7.push((item, "1"));
    }
    let cases: Vec<(&str, i32, Fields, &str)> = vec![
        ("switched off", adult, gad7, "switched that measure off"),
        (
            "ORS for a child",
            child,
            vec![("measure", "ors"), ("total", "20")],
            "not the version for this client",
        ),
        (
            "unknown measure",
            adult,
            vec![("measure", "xyz"), ("total", "20")],
            "Choose a measure",
        ),
    ];
    let mut missing = Vec::new();
    for (case, client, fields, message) in cases {
        let answer = rate(&p.pat, client, &fields).await;
        assert_eq!(answer.status, StatusCode::UNPROCESSABLE_ENTITY, "{case}");
        if !error_texts(&answer).iter().any(|e| e.contains(message)) {
            missing.push(format!("{case}: no {message:?} among {:?}", error_texts(&answer)));
        }
    }
    assert_eq!(count_rows(&app, "ratings").await, 0);
    assert!(missing.is_empty(), "{missing:#?}");
}

async fn staff_outside_the_caseload_get_404_and_save_nothing(app: TestApp) {
    let p = practice(&app).await;
    let (client, _, _) = create_client(&p.pat, None, "").await;
    create_staff(&p.owner, "provider", "pam", "", None).await;
    let pam = sign_in(&app, "pam", STRONG_PASSWORD).await;
    let other = app.signup("pro", "otto", "").await;
    other.login("otto", STRONG_PASSWORD).await;
    let path = format!("/clients/{client}/ratings");
    for (who, browser) in [("another provider", &pam), ("another account's owner", &other)] {
        let csrf = browser.csrf_from("/dashboard").await;
        assert!(!csrf.is_empty(), "{who} has a CSRF token");
        let answer = browser
            .post(
                &path,
                &[("csrf_token", &csrf), ("measure", "ors"), ("total", "20")],
            )
            .await;
        assert_eq!(answer.status, StatusCode::NOT_FOUND, "{who}");
        assert_eq!(
            browser.get(&format!("/clients/{client}")).await.status,
            StatusCode::NOT_FOUND,
            "{who}"
        );
        for action in ["alerts/acknowledge", "episodes/close", "episodes/new", "sharing"] {
            let answer = browser
                .post(
                    &format!("/clients/{client}/{action}"),
                    &[("csrf_token", &csrf), ("client_sees_graph", "on")],
                )
                .await;
            assert_eq!(answer.status, StatusCode::NOT_FOUND, "{who}: {action}");
        }
    }
    assert_eq!(count_rows(&app, "ratings").await, 0);
    assert_eq!(count_rows(&app, "episodes").await, 0);
    // The owner of the client's own account may.
    total(&p.owner, client, "ors", "", "20").await;
    assert_eq!(count_rows(&app, "ratings").await, 1);
}

crate::db_tests!(
    closing_an_episode_and_starting_a_new_one_restarts_sessions_at_one,
    a_switched_off_measure_is_refused,
    a_refused_measure_says_why_on_the_page,
    staff_outside_the_caseload_get_404_and_save_nothing,
);
