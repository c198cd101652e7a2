//! Flags and the expected trajectory on the client page (OUTCOMES.md): outcome and alliance
//! flags, intakes above 32, the youth trajectory, and changed thresholds.

use reqwest::StatusCode;

use crate::common::{TestApp, create_client};
use crate::outcomes_common::{
    caseload, client_page, create_client_aged, error_texts, flag, options, ors_series, practice, rate,
    row_for_session, select_texts, total,
};

async fn flags_follow_the_expected_trajectory(app: TestApp) {
    let p = practice(&app).await;
    // Intake 20: expected 23.1 at session 2; R = 5.
    let cases = [
        ("24.0", "green", vec!["24.0", "23.1"]),
        ("23.1", "green", vec!["23.1"]),
        ("19.0", "amber", vec!["19.0", "23.1"]),
        ("18.1", "amber", vec!["18.1", "23.1"]),
        ("18.0", "red", vec!["18.0", "23.1"]),
        ("17.5", "red", vec!["17.5", "23.1"]),
        ("15.0", "red", vec!["15.0", "20.0"]),
    ];
    for (score, colour, numbers) in cases {
        let (client, _, _) = create_client(&p.pat, None, "").await;
        ors_series(&p.pat, client, &["20", score]).await;
        let page = client_page(&p.pat, client).await;
        let (shown, text) = flag(&page, "outcome-flag");
        assert_eq!(shown, colour, "intake 20, session 2 score {score}: {text}");
        assert!(text.contains(colour), "{text}");
        for n in numbers {
            assert!(text.contains(n), "explain for {score} mentions {n}: {text}");
        }
    }
}

async fn an_intake_above_32_has_no_expected_trajectory_and_stays_grey(app: TestApp) {
    let p = practice(&app).await;
    let (client, _, _) = create_client(&p.pat, None, "").await;
    ors_series(&p.pat, client, &["33", "20"]).await;
    let page = client_page(&p.pat, client).await;
    let (colour, text) = flag(&page, "outcome-flag");
    assert_eq!(colour, "grey", "{text}");
    assert!(text.contains("above 32"), "{text}");
    assert!(page.body.contains("Left out of statistics"), "excluded note");
}

/// OUTCOMES.md: "Outcome, at session n ≥ 2, with E = ETR at n". With ORS at sessions 1 and 4,
/// E is the expectation for session 4 (26.4 for intake 20), as in the table's Expected column.
async fn the_outcome_flag_uses_the_expectation_at_the_actual_session(app: TestApp) {
    let p = practice(&app).await;
    let (client, _, _) = create_client(&p.pat, None, "").await;
    total(&p.pat, client, "ors", "1", "20").await;
    total(&p.pat, client, "ors", "4", "24").await;
    let page = client_page(&p.pat, client).await;
    let row = row_for_session(&page, "4");
    assert_eq!(row[2], "26.4", "table: expected at session 4: {row:?}");
    let (colour, text) = flag(&page, "outcome-flag");
    assert!(
        text.contains("26.4"),
        "explain compares with session 4's 26.4: {text}"
    );
    assert_eq!(colour, "amber", "24.0 is below 26.4 by less than 5: {text}");
}

async fn a_low_or_falling_alliance_raises_the_alliance_flag(app: TestApp) {
    let p = practice(&app).await;
    let alliance = |client: i32| {
        let pat = p.pat.clone();
        async move { flag(&client_page(&pat, client).await, "alliance-flag") }
    };

    let (low, _, _) = create_client(&p.pat, None, "").await;
    total(&p.pat, low, "ors", "", "20").await;
    assert_eq!(alliance(low).await.0, "grey", "no SRS yet");
    total(&p.pat, low, "srs", "", "35.9").await;
    let (colour, text) = alliance(low).await;
    assert_eq!(colour, "red", "{text}");
    assert!(text.contains("35.9") && text.contains("36"), "{text}");

    let (at_cutoff, _, _) = create_client(&p.pat, None, "").await;
    total(&p.pat, at_cutoff, "ors", "", "20").await;
    total(&p.pat, at_cutoff, "srs", "", "36").await;
    let (colour, text) = alliance(at_cutoff).await;
    assert_eq!(colour, "green", "36.0 is not below 36: {text}");

    let (falling, _, _) = create_client(&p.pat, None, "").await;
    total(&p.pat, falling, "ors", "", "20").await;
    total(&p.pat, falling, "srs", "", "39").await;
    total(&p.pat, falling, "ors", "", "22").await;
    total(&p.pat, falling, "srs", "", "38.5").await;
    let (colour, text) = alliance(falling).await;
    assert_eq!(colour, "green", "a fall of 0.5 is less than 1: {text}");
    total(&p.pat, falling, "ors", "", "24").await;
    total(&p.pat, falling, "srs", "", "37.5").await;
    let (colour, text) = alliance(falling).await;
    assert_eq!(colour, "red", "fell by 1.0: {text}");
    assert!(text.contains("37.5") && text.contains("38.5"), "{text}");
    let dashboard = p.pat.get("/dashboard").await;
    let row = caseload(&dashboard)
        .into_iter()
        .find(|(_, id, _)| *id == falling)
        .expect("client on the dashboard");
    assert!(row.2.contains("Red: alliance"), "flag column: {}", row.2);
}

/// Flag thresholds are account settings: after the owner changes the reliable change value, the
/// client page and the dashboards must agree on the flag (not keep the one computed before).
async fn a_changed_reliable_change_setting_applies_to_page_and_dashboard_alike(app: TestApp) {
    let p = practice(&app).await;
    let (client, _, _) = create_client(&p.pat, None, "").await;
    // Intake 20, expected 23.1 at session 2: 17.5 is red with R = 5 (below 18.1)…
    ors_series(&p.pat, client, &["20", "17.5"]).await;
    assert_eq!(flag(&client_page(&p.pat, client).await, "outcome-flag").0, "red");
    assert_eq!(caseload(&p.pat.get("/dashboard").await)[0].0, "red");
    // …and amber with R = 6 (17.1 ≤ 17.5 < 23.1).
    let answer = options(&p.owner, "", "6").await;
    assert_eq!(answer.status, StatusCode::SEE_OTHER, "{:?}", error_texts(&answer));
    let (colour, text) = flag(&client_page(&p.pat, client).await, "outcome-flag");
    assert_eq!(colour, "amber", "client page: {text}");
    assert!(text.contains("6 points (the reliable change)"), "{text}");
    let provider = caseload(&p.pat.get("/dashboard").await);
    assert_eq!(
        provider[0].0, "amber",
        "provider dashboard agrees with the client page"
    );
    let owner = p.owner.get("/dashboard").await;
    assert_eq!(
        caseload(&owner)[0].0,
        "amber",
        "owner dashboard agrees with the client page"
    );
}

async fn an_adolescent_uses_the_ors_with_the_youth_trajectory(app: TestApp) {
    let p = practice(&app).await;
    let (teen, _, _) = create_client_aged(&p.pat, p.pat_id, "adolescent").await;
    let page = client_page(&p.pat, teen).await;
    assert!(page.body.contains("name=\"measure\" value=\"ors\""));
    assert!(!page.body.contains("name=\"measure\" value=\"cors\""));
    total(&p.pat, teen, "ors", "", "19.2").await;
    // Youth intake 19.2: target 28.04, expected change 8.84 (OUTCOMES.md check values).
    let page = client_page(&p.pat, teen).await;
    assert!(
        page.body.contains("28.0 (expected change 8.8)"),
        "youth target: {:?}",
        select_texts(&page, "dl.summary dd")
    );
    let answer = rate(&p.pat, teen, &[("measure", "cors"), ("total", "20")]).await;
    assert_eq!(
        answer.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "CORS is for children"
    );
}

crate::db_tests!(
    flags_follow_the_expected_trajectory,
    an_intake_above_32_has_no_expected_trajectory_and_stays_grey,
    the_outcome_flag_uses_the_expectation_at_the_actual_session,
    a_low_or_falling_alliance_raises_the_alliance_flag,
    a_changed_reliable_change_setting_applies_to_page_and_dashboard_alike,
    an_adolescent_uses_the_ors_with_the_youth_trajectory,
);
