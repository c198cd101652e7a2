//! Recording ratings from the clinician's screen (SPEC §4, OUTCOMES.md): items and paper
//! totals, automatic session numbers, messages for bad input, duplicates, concurrent entry, CSRF.

use reqwest::StatusCode;

use crate::common::{TestApp, count_rows, create_client};
use crate::outcomes_common::{
    Fields, client_page, column, error_texts, export_lines, flag, ors_series, practice, progress_rows, rate,
    row_for_session, select_texts, sign_in, total,
};

async fn a_clinicians_four_items_are_stored_and_shown_in_the_table_and_graph(app: TestApp) {
    let p = practice(&app).await;
    let (client, _, _) = create_client(&p.pat, None, "").await;
    let before = client_page(&p.pat, client).await;
    assert!(before.body.contains("No ratings yet"));
    let answer = rate(
        &p.pat,
        client,
        &[
            ("measure", "ors"),
            ("session", ""),
            ("item1", "4.5"),
            ("item2", "5.5"),
            ("item3", "5"),
            ("item4", "5.0"),
            ("source", "session"),
        ],
    )
    .await;
    assert_eq!(answer.status, StatusCode::SEE_OTHER, "{}", answer.body);
    assert_eq!(
        answer.location(),
        Some(format!("/clients/{client}?saved=rating#progress").as_str())
    );
    let page = client_page(&p.pat, client).await;
    let row = row_for_session(&page, "1");
    assert_eq!(row[1], "20.0", "ORS total in the table: {row:?}");
    assert_eq!(row[2], "20.0", "session 1 expects the intake itself: {row:?}");
    assert!(
        page.body.contains("<svg") && page.body.contains("role=\"img\""),
        "inline accessible SVG graph"
    );
    assert!(
        select_texts(&page, "#progress p.copyright")
            .iter()
            .any(|c| c.starts_with("ORS: © Scott D. Miller")),
        "ORS copyright line with the graph"
    );
    let (colour, text) = flag(&page, "outcome-flag");
    assert_eq!(colour, "grey", "{text}");
    assert!(text.contains("at least two outcome ratings"), "{text}");

    // The next ORS without a session number goes to session 2.
    total(&p.pat, client, "ors", "", "24.0").await;
    let page = client_page(&p.pat, client).await;
    assert_eq!(progress_rows(&page).len(), 2, "{:?}", progress_rows(&page));
    let row = row_for_session(&page, "2");
    assert_eq!(row[1], "24.0", "{row:?}");
    assert_eq!(row[2], "23.1", "expected for intake 20 at session 2: {row:?}");
    assert_eq!(count_rows(&app, "ratings").await, 2);
}

async fn blank_sessions_put_ors_in_the_next_session_and_srs_and_phq9_in_the_latest(app: TestApp) {
    let p = practice(&app).await;
    let (client, _, _) = create_client(&p.pat, None, "").await;
    ors_series(&p.pat, client, &["20", "22"]).await;
    total(&p.pat, client, "srs", "", "38").await;
    let answer = rate(
        &p.pat,
        client,
        &[
            ("measure", "phq9"),
            ("session", ""),
            ("item1", "1"),
            ("item2", "1"),
            ("item3", "1"),
            ("item4", "0"),
            ("item5", "0"),
            ("item6", "0"),
            ("item7", "0"),
            ("item8", "0"),
            ("item9", "0"),
            ("source", "paper"),
        ],
    )
    .await;
    assert_eq!(answer.status, StatusCode::SEE_OTHER, "{:?}", error_texts(&answer));
    let page = client_page(&p.pat, client).await;
    let rows = progress_rows(&page);
    assert_eq!(rows.len(), 2, "{rows:?}");
    let second = row_for_session(&page, "2");
    assert_eq!(second[1], "22.0", "{second:?}");
    assert_eq!(second[3], "38.0", "SRS belongs to the latest session: {second:?}");
    assert!(
        second[4].contains("PHQ-9 3"),
        "PHQ-9 in the latest session: {second:?}"
    );
    assert!(row_for_session(&page, "1")[3].is_empty(), "no SRS at session 1");
    // A later ORS opens session 3.
    total(&p.pat, client, "ors", "", "25").await;
    let page = client_page(&p.pat, client).await;
    assert_eq!(row_for_session(&page, "3")[1], "25.0");
}

async fn a_paper_total_is_stored_as_four_equal_items(app: TestApp) {
    let p = practice(&app).await;
    let (client, login, _) = create_client(&p.pat, None, "").await;
    total(&p.pat, client, "ors", "", "19.2").await;
    total(&p.pat, client, "ors", "", "20").await;
    let csv = p.owner.get("/export.csv").await;
    assert_eq!(csv.status, StatusCode::OK);
    let lines = export_lines(&csv);
    assert_eq!(lines.len(), 2, "{}", csv.body);
    let first = &lines[0];
    assert_eq!(first[column("client_id")], client.to_string());
    assert_eq!(first[column("client_user_id")], login);
    assert_eq!(first[column("session")], "1");
    assert_eq!(first[column("measure")], "ors");
    assert_eq!(first[column("items")], "4.8 4.8 4.8 4.8");
    assert_eq!(first[column("total")], "19.2");
    assert_eq!(first[column("source")], "paper");
    assert_eq!(first[column("entered_by")], p.pat_id.to_string());
    assert_eq!(lines[1][column("items")], "5.0 5.0 5.0 5.0");
    assert_eq!(lines[1][column("total")], "20.0");
    // Intake 19.2: target 27.23 (shown to one decimal), expected change 8.03.
    let page = client_page(&p.pat, client).await;
    assert!(
        page.body.contains("27.2 (expected change 8.0)"),
        "target on the page"
    );
}

async fn bad_items_answer_422_with_a_message_next_to_the_field_and_save_nothing(app: TestApp) {
    let p = practice(&app).await;
    let (client, _, _) = create_client(&p.pat, None, "").await;
    let answer = rate(
        &p.pat,
        client,
        &[
            ("measure", "ors"),
            ("session", ""),
            ("item1", "10.5"),
            ("item2", ""),
            ("item3", "5.55"),
            ("item4", "abc"),
            ("source", "session"),
        ],
    )
    .await;
    assert_eq!(answer.status, StatusCode::UNPROCESSABLE_ENTITY);
    for item in ["item1", "item2", "item3", "item4"] {
        let message = answer
            .element_text(&format!("ors-e-{item}"))
            .unwrap_or_else(|| panic!("message next to {item}: {:?}", error_texts(&answer)));
        assert!(!message.is_empty(), "{item}");
    }
    assert!(
        answer
            .element_text("ors-e-item2")
            .is_some_and(|m| m.contains("required")),
        "missing item"
    );
    assert!(
        answer
            .element_text("ors-e-item3")
            .is_some_and(|m| m.contains("one decimal")),
        "over-precise item"
    );
    assert!(answer.body.contains("value=\"5.55\""), "typed value survives");

    // Totals, sessions, both at once, extra items, and the 0–3 scales.
    let nine_items = |last: &'static str| {
        let mut fields = vec![("measure", "phq9"), ("session", "")];
        for item in [
            "item1", "item2", "item3", "item4", "item5", "item6", "item7", "item8",
        ] {
            fields.push((item, "1"));
        }
        fields.push(("item9", last));
        fields
    };
    let cases: Vec<(&str, Fields, &str)> = vec![
        (
            "total above 40",
            vec![("measure", "ors"), ("total", "40.5")],
            "Total must be",
        ),
        (
            "over-precise total",
            vec![("measure", "ors"), ("total", "20.25")],
            "Total must be",
        ),
        (
            "non-numeric total",
            vec![("measure", "ors"), ("total", "twenty")],
            "Total must be",
        ),
        (
            "negative total",
            vec![("measure", "ors"), ("total", "-1")],
            "Total must be",
        ),
        (
            "exponent",
            vec![("measure", "ors"), ("total", "2e1")],
            "Total must be",
        ),
        (
            "items and a total",
            vec![
                ("measure", "ors"),
                ("item1", "5"),
                ("item2", "5"),
                ("item3", "5"),
                ("item4", "5"),
                ("total", "20"),
            ],
            "not both",
        ),
        (
            "session 0",
            vec![("measure", "ors"), ("session", "0"), ("total", "20")],
            "Session must be",
        ),
        (
            "session text",
            vec![("measure", "ors"), ("session", "two"), ("total", "20")],
            "Session must be",
        ),
        (
            "a fifth ORS item",
            vec![
                ("measure", "ors"),
                ("item1", "5"),
                ("item2", "5"),
                ("item3", "5"),
                ("item4", "5"),
                ("item5", "5"),
            ],
            "only 4 items",
        ),
        ("PHQ-9 answer 4", nine_items("4"), "whole number from 0 to 3"),
        ("PHQ-9 answer 1.5", nine_items("1.5"), "whole number from 0 to 3"),
        ("PHQ-9 missing answer", nine_items(""), "Question 9 is required"),
    ];
    for (case, fields, message) in cases {
        let answer = rate(&p.pat, client, &fields).await;
        assert_eq!(answer.status, StatusCode::UNPROCESSABLE_ENTITY, "{case}");
        let errors = error_texts(&answer);
        assert!(
            errors.iter().any(|e| e.contains(message)),
            "{case}: {message:?} in {errors:?}"
        );
    }
    assert_eq!(count_rows(&app, "ratings").await, 0, "nothing saved");
    assert_eq!(count_rows(&app, "episodes").await, 0, "no episode opened");
    assert_eq!(count_rows(&app, "safety_alerts").await, 0);
}

async fn a_second_ors_for_the_same_session_is_refused(app: TestApp) {
    let p = practice(&app).await;
    let (client, _, _) = create_client(&p.pat, None, "").await;
    total(&p.pat, client, "ors", "1", "20").await;
    let answer = rate(
        &p.pat,
        client,
        &[("measure", "ors"), ("session", "1"), ("total", "22")],
    )
    .await;
    assert_eq!(answer.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        error_texts(&answer).iter().any(|e| e.contains("already has")),
        "{:?}",
        error_texts(&answer)
    );
    assert_eq!(count_rows(&app, "ratings").await, 1);
    let page = client_page(&p.pat, client).await;
    assert_eq!(row_for_session(&page, "1")[1], "20.0", "the first one stands");
}

/// Staff: an SRS with a blank session goes to the latest session; when that session already has
/// one, the answer should be the same 422 "already has" message, not a 409 error page.
async fn a_second_srs_for_the_latest_session_is_refused_with_a_message(app: TestApp) {
    let p = practice(&app).await;
    let (client, _, _) = create_client(&p.pat, None, "").await;
    total(&p.pat, client, "ors", "", "20").await;
    total(&p.pat, client, "srs", "", "38").await;
    let answer = rate(
        &p.pat,
        client,
        &[("measure", "srs"), ("session", ""), ("total", "37")],
    )
    .await;
    assert_eq!(
        answer.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "staff: second blank-session SRS; body: {}",
        answer.body.chars().take(300).collect::<String>()
    );
    assert!(
        error_texts(&answer).iter().any(|e| e.contains("already has")),
        "{:?}",
        error_texts(&answer)
    );
    assert_eq!(count_rows(&app, "ratings").await, 2);
}

/// The client sending the SRS again (back button, double click) gets the form back with 422, not
/// a 409 error page.
async fn a_client_sending_the_srs_twice_is_refused_with_422(app: TestApp) {
    let p = practice(&app).await;
    let (client, login, password) = create_client(&p.pat, None, "").await;
    total(&p.pat, client, "ors", "", "20").await;
    total(&p.pat, client, "srs", "", "38").await;
    let client_browser = sign_in(&app, &login, &password).await;
    let csrf = client_browser.csrf_from("/my").await;
    let answer = client_browser
        .post(
            "/my/measures/srs",
            &[
                ("csrf_token", &csrf),
                ("item1", "9"),
                ("item2", "9"),
                ("item3", "9"),
                ("item4", "9"),
            ],
        )
        .await;
    assert_eq!(
        answer.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "client: second SRS for the same session"
    );
    assert_eq!(count_rows(&app, "ratings").await, 2);
}

/// The first ratings of a new client sent at the same moment (two tabs, a client and a clinician)
/// must land in one episode with distinct sessions; the app retries on a clash.
async fn ors_entered_at_the_same_moment_share_one_episode_with_distinct_sessions(app: TestApp) {
    let p = practice(&app).await;
    let (client, _, _) = create_client(&p.pat, None, "").await;
    let csrf = p.pat.csrf_from(&format!("/clients/{client}")).await;
    let path = format!("/clients/{client}/ratings");
    let post = |value: &'static str| {
        let pat = p.pat.clone();
        let csrf = csrf.clone();
        let path = path.clone();
        async move {
            pat.post(
                &path,
                &[("csrf_token", &csrf), ("measure", "ors"), ("total", value)],
            )
            .await
        }
    };
    let answers = futures::future::join_all(["20", "21", "22", "23"].map(post)).await;
    for answer in &answers {
        assert_eq!(answer.status, StatusCode::SEE_OTHER, "{}", answer.body);
    }
    let csv = p.owner.get("/export.csv").await;
    let placed: Vec<(String, String)> = export_lines(&csv)
        .into_iter()
        .map(|l| (l[column("episode")].clone(), l[column("session")].clone()))
        .collect();
    assert_eq!(
        count_rows(&app, "episodes").await,
        1,
        "one episode; (episode, session) of each rating: {placed:?}"
    );
    let page = client_page(&p.pat, client).await;
    let sessions: Vec<String> = progress_rows(&page).into_iter().map(|r| r[0].clone()).collect();
    assert_eq!(sessions, vec!["1", "2", "3", "4"]);
}

async fn a_rating_without_the_csrf_token_is_refused(app: TestApp) {
    let p = practice(&app).await;
    let (client, _, _) = create_client(&p.pat, None, "").await;
    let path = format!("/clients/{client}/ratings");
    let missing = p.pat.post(&path, &[("measure", "ors"), ("total", "20")]).await;
    assert_eq!(missing.status, StatusCode::FORBIDDEN);
    let wrong = p
        .pat
        .post(
            &path,
            &[("csrf_token", "forged"), ("measure", "ors"), ("total", "20")],
        )
        .await;
    assert_eq!(wrong.status, StatusCode::FORBIDDEN);
    assert_eq!(count_rows(&app, "ratings").await, 0);
}

crate::db_tests!(
    a_clinicians_four_items_are_stored_and_shown_in_the_table_and_graph,
    blank_sessions_put_ors_in_the_next_session_and_srs_and_phq9_in_the_latest,
    a_paper_total_is_stored_as_four_equal_items,
    bad_items_answer_422_with_a_message_next_to_the_field_and_save_nothing,
    a_second_ors_for_the_same_session_is_refused,
    a_second_srs_for_the_latest_session_is_refused_with_a_message,
    a_client_sending_the_srs_twice_is_refused_with_422,
    ors_entered_at_the_same_moment_share_one_episode_with_distinct_sessions,
    a_rating_without_the_csrf_token_is_refused,
);
