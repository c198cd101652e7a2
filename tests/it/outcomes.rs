//! Outcomes through HTTP (SPEC §3-4, OUTCOMES.md): recording ratings, the client page's table,
//! graph and flags, the client's own measures, dashboards, safety alerts, export and settings.

use reqwest::StatusCode;

use crate::common::{
    Answer, Browser, STRONG_PASSWORD, TestApp, count_rows, create_client, create_staff, id_from_location,
};

/// Form fields as posted.
type Fields = Vec<(&'static str, &'static str)>;

const ALL_MEASURES: [&str; 6] = ["ors", "cors", "srs", "csrs", "phq9", "gad7"];

/// A `pro` practice (two-factor off) with the owner and a provider "pat" both signed in.
struct Practice {
    owner: Browser,
    pat: Browser,
    pat_id: i32,
}

async fn practice(app: &TestApp) -> Practice {
    let owner = app.signup("pro", "olivia", "").await;
    owner.login("olivia", STRONG_PASSWORD).await;
    let pat_id = create_staff(&owner, "provider", "pat", "", None).await;
    let pat = sign_in(app, "pat", STRONG_PASSWORD).await;
    Practice { owner, pat, pat_id }
}

async fn sign_in(app: &TestApp, login: &str, password: &str) -> Browser {
    let browser = app.browser();
    let answer = browser.login(login, password).await;
    assert_eq!(
        answer.status,
        StatusCode::SEE_OTHER,
        "{login} signs in: {}",
        answer.body
    );
    assert_eq!(answer.location(), Some("/"), "{login} needs no code");
    browser
}

/// Creates a client of `age_group` through `/clients/new`; returns (id, user ID, password).
async fn create_client_aged(staff: &Browser, provider_id: i32, age_group: &str) -> (i32, String, String) {
    let answer = staff
        .submit(
            "/clients/new",
            "/clients/new",
            &[
                ("first_name", "Robin"),
                ("last_name", "Young"),
                ("age_group", age_group),
                ("phone", ""),
                ("email", ""),
                ("provider_id", &provider_id.to_string()),
            ],
        )
        .await;
    assert_eq!(answer.status, StatusCode::OK, "create client: {}", answer.body);
    let login = answer.element_text("client-user-id").expect("user ID shown");
    let password = answer.element_text("client-password").expect("password shown");
    let document = scraper::Html::parse_document(&answer.body);
    let selector = scraper::Selector::parse("a[href^='/clients/']").expect("selector");
    let id = document
        .select(&selector)
        .filter_map(|a| a.value().attr("href"))
        .find_map(|href| href.trim_start_matches("/clients/").parse::<i32>().ok())
        .expect("link to the client page");
    (id, login, password)
}

/// Posts a rating form from the client page (which carries the CSRF token).
async fn rate(staff: &Browser, client: i32, fields: &[(&str, &str)]) -> Answer {
    staff
        .submit(
            &format!("/clients/{client}"),
            &format!("/clients/{client}/ratings"),
            fields,
        )
        .await
}

/// Records a total-only (paper) rating and asserts it was saved.
async fn total(staff: &Browser, client: i32, measure: &str, session: &str, value: &str) {
    let answer = rate(
        staff,
        client,
        &[
            ("measure", measure),
            ("session", session),
            ("total", value),
            ("source", "paper"),
        ],
    )
    .await;
    assert_eq!(
        answer.status,
        StatusCode::SEE_OTHER,
        "{measure} {value} at session '{session}' saved: {}",
        error_texts(&answer).join(" | ")
    );
    assert_eq!(
        answer.location(),
        Some(format!("/clients/{client}#progress").as_str())
    );
}

/// Records ORS totals for sessions 1, 2, … in order.
async fn ors_series(staff: &Browser, client: i32, totals: &[&str]) {
    for value in totals {
        total(staff, client, "ors", "", value).await;
    }
}

fn select_texts(answer: &Answer, css: &str) -> Vec<String> {
    let document = scraper::Html::parse_document(&answer.body);
    let selector = scraper::Selector::parse(css).expect("selector");
    document
        .select(&selector)
        .map(|e| e.text().collect::<String>().trim().to_string())
        .collect()
}

/// Every error message on a page.
fn error_texts(answer: &Answer) -> Vec<String> {
    select_texts(answer, "p.error")
}

/// The accessible table of the graph: one row per session, cells as text
/// (session, outcome, expected, alliance, other measures).
fn progress_rows(answer: &Answer) -> Vec<Vec<String>> {
    let document = scraper::Html::parse_document(&answer.body);
    let rows = scraper::Selector::parse("#progress-table tbody tr").expect("selector");
    let cells = scraper::Selector::parse("th, td").expect("selector");
    document
        .select(&rows)
        .map(|row| {
            row.select(&cells)
                .map(|c| c.text().collect::<String>().trim().to_string())
                .collect()
        })
        .collect()
}

fn row_for_session(answer: &Answer, session: &str) -> Vec<String> {
    progress_rows(answer)
        .into_iter()
        .find(|row| row.first().map(String::as_str) == Some(session))
        .unwrap_or_else(|| panic!("a row for session {session}: {:?}", progress_rows(answer)))
}

/// (colour from the `flag-…` class, text) of `#outcome-flag` or `#alliance-flag`.
fn flag(answer: &Answer, id: &str) -> (String, String) {
    let document = scraper::Html::parse_document(&answer.body);
    let selector = scraper::Selector::parse(&format!("#{id}")).expect("selector");
    let element = document
        .select(&selector)
        .next()
        .unwrap_or_else(|| panic!("#{id} on the page"));
    let colour = element
        .value()
        .classes()
        .find_map(|c| c.strip_prefix("flag-"))
        .unwrap_or_default()
        .to_string();
    (colour, element.text().collect::<String>())
}

async fn client_page(staff: &Browser, client: i32) -> Answer {
    let page = staff.get(&format!("/clients/{client}")).await;
    assert_eq!(page.status, StatusCode::OK, "client page");
    page
}

/// `(data-flag, client id, row text)` of each caseload row, in page order.
fn caseload(answer: &Answer) -> Vec<(String, i32, String)> {
    let document = scraper::Html::parse_document(&answer.body);
    let rows = scraper::Selector::parse("table.caseload tbody tr").expect("selector");
    let link = scraper::Selector::parse("a[href^='/clients/']").expect("selector");
    document
        .select(&rows)
        .map(|row| {
            let id = row
                .select(&link)
                .next()
                .and_then(|a| a.value().attr("href"))
                .map(id_from_location)
                .expect("row links to the client");
            (
                row.value().attr("data-flag").unwrap_or_default().to_string(),
                id,
                row.text().collect::<String>(),
            )
        })
        .collect()
}

/// The value shown for `label` in the owner's `#account-figures`.
fn figure(answer: &Answer, label: &str) -> String {
    let document = scraper::Html::parse_document(&answer.body);
    let pairs = scraper::Selector::parse("#account-figures div").expect("selector");
    let dt = scraper::Selector::parse("dt").expect("selector");
    let dd = scraper::Selector::parse("dd").expect("selector");
    document
        .select(&pairs)
        .find(|div| {
            div.select(&dt)
                .next()
                .is_some_and(|t| t.text().collect::<String>().trim() == label)
        })
        .and_then(|div| div.select(&dd).next())
        .map(|d| d.text().collect::<String>().trim().to_string())
        .unwrap_or_else(|| panic!("{label} in #account-figures"))
}

fn number(text: &str) -> f64 {
    text.trim_end_matches('%')
        .trim()
        .parse()
        .unwrap_or_else(|_| panic!("a number: {text:?}"))
}

/// Export lines below the header, split into fields (no field holds a comma).
fn export_lines(csv: &Answer) -> Vec<Vec<String>> {
    csv.body
        .lines()
        .skip(1)
        .filter(|l| !l.is_empty())
        .map(|l| l.split(',').map(str::to_string).collect())
        .collect()
}

const EXPORT_HEADER: &str = "client_id,client_user_id,age_group,episode,session,measure,loinc_total,items,total,source,entered_by,time_utc";

fn column(name: &str) -> usize {
    EXPORT_HEADER
        .split(',')
        .position(|c| c == name)
        .unwrap_or_else(|| panic!("column {name}"))
}

/// Sends the Options form with every measure on except `off`.
async fn options_without(owner: &Browser, off: &str) -> Answer {
    options(owner, off, "5").await
}

/// Sends the whole Options form (two-factor off) with every measure on except `off`.
async fn options(owner: &Browser, off: &str, reliable_change: &str) -> Answer {
    let mut fields = vec![
        ("staff_two_factor", ""),
        ("client_two_factor", ""),
        ("device_days", "365"),
        ("idle_minutes", "15"),
        ("reliable_change", reliable_change),
        ("alliance_cutoff", "36"),
        ("alliance_drop", "1"),
    ];
    for measure in ALL_MEASURES.into_iter().filter(|m| *m != off) {
        fields.push(("measures", measure));
    }
    owner.submit("/options", "/options", &fields).await
}

fn safety_mails(app: &TestApp) -> Vec<String> {
    app.mail_files()
        .into_iter()
        .filter(|m| m.contains("safety alert"))
        .collect()
}

fn mail_is_to(mail: &str, address: &str) -> bool {
    mail.lines()
        .any(|l| l.to_ascii_lowercase().starts_with("to:") && l.contains(address))
}

// ---------------------------------------------------------------------------------------------

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
        Some(format!("/clients/{client}#progress").as_str())
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
    assert!(text.contains("Fewer than 2"), "{text}");

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
    assert!(row.2.contains("red"), "alliance column: {}", row.2);
}

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
    // Sessions, intake, latest and change of the red client, as numbers.
    let cells = select_texts(&dashboard, "table.caseload tbody tr:first-child td");
    let numbers: Vec<f64> = cells[1..5].iter().map(|c| number(c)).collect();
    assert_eq!(numbers, vec![2.0, 20.0, 14.0, -6.0], "{cells:?}");
}

async fn a_supervisor_sees_one_section_per_provider(app: TestApp) {
    let p = practice(&app).await;
    let sue_id = create_staff(&p.owner, "supervisor", "sue", "", None).await;
    let pam_id = create_staff(&p.owner, "provider", "pam", "", Some(sue_id)).await;
    let pia_id = create_staff(&p.owner, "provider", "pia", "", Some(sue_id)).await;
    let (pams, _, _) = create_client(&p.owner, Some(pam_id), "").await;
    let (pias, _, _) = create_client(&p.owner, Some(pia_id), "").await;
    let (pats, _, _) = create_client(&p.owner, Some(p.pat_id), "").await;
    ors_series(&p.owner, pams, &["20", "14"]).await;
    let sue = sign_in(&app, "sue", STRONG_PASSWORD).await;
    let dashboard = sue.get("/dashboard").await;
    assert_eq!(dashboard.status, StatusCode::OK);
    let headings = select_texts(&dashboard, "main section h2, section h2");
    assert!(headings.iter().any(|h| h == "Staff pam"), "{headings:?}");
    assert!(headings.iter().any(|h| h == "Staff pia"), "{headings:?}");
    assert!(!headings.iter().any(|h| h == "Staff pat"), "not sue's provider");
    let ids: Vec<i32> = caseload(&dashboard).into_iter().map(|(_, id, _)| id).collect();
    assert!(
        ids.contains(&pams) && ids.contains(&pias) && !ids.contains(&pats),
        "{ids:?}"
    );
    assert!(dashboard.body.contains("1 red"), "counts per provider");
}

async fn a_phq9_item9_answer_raises_a_safety_alert_at_once_until_acknowledged(app: TestApp) {
    let owner = app.signup("pro", "olivia", "").await;
    owner.login("olivia", STRONG_PASSWORD).await;
    let sue_id = create_staff(&owner, "supervisor", "sue", "", None).await;
    let pat_id = create_staff(&owner, "provider", "pat", "", Some(sue_id)).await;
    let pat = sign_in(&app, "pat", STRONG_PASSWORD).await;
    let sue = sign_in(&app, "sue", STRONG_PASSWORD).await;
    let (client, _, _) = create_client(&pat, Some(pat_id), "").await;
    let phq9 = |item9: &'static str, session: &'static str| {
        let mut fields = vec![("measure", "phq9"), ("session", session), ("source", "paper")];
        for item in [
            "item1", "item2", "item3", "item4", "item5", "item6", "item7", "item8",
        ] {
            fields.push((item, "0"));
        }
        fields.push(("item9", item9));
        fields
    };
    // Item 9 answered 0: no alert.
    let answer = rate(&pat, client, &phq9("0", "1")).await;
    assert_eq!(answer.status, StatusCode::SEE_OTHER, "{:?}", error_texts(&answer));
    assert!(
        client_page(&pat, client)
            .await
            .element_text("safety-alert")
            .is_none()
    );
    assert!(safety_mails(&app).is_empty());

    // Item 9 answered 1, total only 1: alert at once.
    let answer = rate(&pat, client, &phq9("1", "2")).await;
    assert_eq!(answer.status, StatusCode::SEE_OTHER, "{:?}", error_texts(&answer));
    let page = client_page(&pat, client).await;
    assert!(
        page.element_text("safety-alert").is_some(),
        "alert on the client page"
    );
    for (who, browser) in [("provider", &pat), ("supervisor", &sue)] {
        let dashboard = browser.get("/dashboard").await;
        let row = caseload(&dashboard)
            .into_iter()
            .find(|(_, id, _)| *id == client)
            .unwrap_or_else(|| panic!("client on the {who}'s dashboard"));
        assert!(row.2.contains("Safety alert"), "{who}: {}", row.2);
    }
    let owner_dashboard = owner.get("/dashboard").await;
    assert_eq!(figure(&owner_dashboard, "Open safety alerts"), "1");
    assert!(
        caseload(&owner_dashboard)
            .iter()
            .any(|(_, id, t)| *id == client && t.contains("Safety alert")),
        "needs attention on the owner's dashboard"
    );
    let mails = safety_mails(&app);
    assert_eq!(mails.len(), 2, "one to the provider, one to the supervisor");
    assert!(
        mails.iter().any(|m| mail_is_to(m, "pat@example.com")),
        "{mails:?}"
    );
    assert!(
        mails.iter().any(|m| mail_is_to(m, "sue@example.com")),
        "{mails:?}"
    );
    for mail in &mails {
        assert!(mail.contains(&format!("/clients/{client}")), "link to the client");
        assert!(!mail.contains("Casey"), "no client name in the mail");
    }

    // Acknowledging clears it everywhere.
    let answer = pat
        .submit(
            &format!("/clients/{client}"),
            &format!("/clients/{client}/alerts/acknowledge"),
            &[],
        )
        .await;
    assert_eq!(answer.status, StatusCode::SEE_OTHER);
    assert!(
        client_page(&pat, client)
            .await
            .element_text("safety-alert")
            .is_none()
    );
    let dashboard = pat.get("/dashboard").await;
    assert!(
        !dashboard.body.contains("Safety alert"),
        "cleared on the dashboard"
    );
    assert_eq!(figure(&owner.get("/dashboard").await, "Open safety alerts"), "0");
    let audit = owner.get("/audit").await;
    assert!(audit.body.contains("safety.alert") && audit.body.contains("safety.acknowledged"));
}

async fn a_client_completes_the_ors_on_their_device_and_the_provider_sees_it(app: TestApp) {
    let p = practice(&app).await;
    let (client, login, password) = create_client(&p.pat, None, "").await;
    let me = sign_in(&app, &login, &password).await;
    let my = me.get("/my").await;
    assert_eq!(my.status, StatusCode::OK);
    let links = |answer: &Answer| -> Vec<String> {
        let document = scraper::Html::parse_document(&answer.body);
        let selector = scraper::Selector::parse("#pending-measures a").expect("selector");
        document
            .select(&selector)
            .filter_map(|a| a.value().attr("href").map(str::to_string))
            .collect()
    };
    let pending = links(&my);
    assert!(pending.contains(&"/my/measures/ors".to_string()), "{pending:?}");
    assert!(!pending.contains(&"/my/measures/srs".to_string()), "{pending:?}");
    let form = me.get("/my/measures/ors").await;
    assert_eq!(form.status, StatusCode::OK);
    assert!(form.body.contains("name=\"item4\""));

    // Bad input: 422, nothing saved.
    let answer = me
        .submit(
            "/my/measures/ors",
            "/my/measures/ors",
            &[("item1", "5"), ("item2", "11"), ("item3", "5"), ("item4", "")],
        )
        .await;
    assert_eq!(answer.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(!error_texts(&answer).is_empty(), "message shown");
    assert_eq!(count_rows(&app, "ratings").await, 0);

    let answer = me
        .submit(
            "/my/measures/ors",
            "/my/measures/ors",
            &[("item1", "5"), ("item2", "5.5"), ("item3", "6"), ("item4", "5.5")],
        )
        .await;
    assert_eq!(answer.status, StatusCode::SEE_OTHER, "{:?}", error_texts(&answer));
    assert_eq!(answer.location(), Some("/my?done=true"));
    let my = me.get("/my?done=true").await;
    assert!(my.body.contains("your answers are saved"));
    let pending = links(&my);
    assert!(
        pending.contains(&"/my/measures/srs".to_string()),
        "SRS now: {pending:?}"
    );
    assert!(
        !pending.contains(&"/my/measures/ors".to_string()),
        "ORS done: {pending:?}"
    );

    let page = client_page(&p.pat, client).await;
    assert_eq!(row_for_session(&page, "1")[1], "22.0");
    let csv = p.owner.get("/export.csv").await;
    let lines = export_lines(&csv);
    assert_eq!(lines.len(), 1, "{}", csv.body);
    assert_eq!(lines[0][column("source")], "client");
    assert_eq!(lines[0][column("items")], "5.0 5.5 6.0 5.5");
    assert_eq!(lines[0][column("entered_by")], client.to_string());

    // The SRS goes with the same session; then the next ORS is due.
    let answer = me
        .submit(
            "/my/measures/srs",
            "/my/measures/srs",
            &[
                ("item1", "9.5"),
                ("item2", "9.5"),
                ("item3", "9.5"),
                ("item4", "9.5"),
            ],
        )
        .await;
    assert_eq!(answer.status, StatusCode::SEE_OTHER, "{:?}", error_texts(&answer));
    let page = client_page(&p.pat, client).await;
    assert_eq!(row_for_session(&page, "1")[3], "38.0");
    let pending = links(&me.get("/my").await);
    assert!(pending.contains(&"/my/measures/ors".to_string()), "{pending:?}");
    assert!(!pending.contains(&"/my/measures/srs".to_string()), "{pending:?}");
}

async fn the_client_sees_their_graph_only_when_the_provider_allows_it(app: TestApp) {
    let p = practice(&app).await;
    let (client, login, password) = create_client(&p.pat, None, "").await;
    ors_series(&p.pat, client, &["20", "24"]).await;
    let me = sign_in(&app, &login, &password).await;
    let hidden = me.get("/my").await;
    assert!(!hidden.body.contains("<svg"), "no graph by default");
    assert!(hidden.element_text("progress-table").is_none());

    let sharing = |on: bool| {
        let pat = p.pat.clone();
        async move {
            let fields: &[(&str, &str)] = if on { &[("client_sees_graph", "on")] } else { &[] };
            let answer = pat
                .submit(
                    &format!("/clients/{client}"),
                    &format!("/clients/{client}/sharing"),
                    fields,
                )
                .await;
            assert_eq!(answer.status, StatusCode::SEE_OTHER);
        }
    };
    sharing(true).await;
    let page = client_page(&p.pat, client).await;
    assert!(
        page.body
            .contains("name=\"client_sees_graph\" value=\"on\" checked")
    );
    let shown = me.get("/my").await;
    assert!(shown.body.contains("<svg"), "graph shown");
    assert_eq!(progress_rows(&shown).len(), 2);
    assert_eq!(flag(&shown, "outcome-flag").0, "green");

    sharing(false).await;
    let hidden = me.get("/my").await;
    assert!(!hidden.body.contains("<svg"), "hidden again");
}

async fn children_get_cors_and_csrs_and_cannot_open_ors(app: TestApp) {
    let p = practice(&app).await;
    let (child, login, password) = create_client_aged(&p.pat, p.pat_id, "child").await;
    let page = client_page(&p.pat, child).await;
    assert!(page.body.contains("name=\"measure\" value=\"cors\""));
    assert!(page.body.contains("name=\"measure\" value=\"csrs\""));
    assert!(!page.body.contains("name=\"measure\" value=\"ors\""));
    assert!(!page.body.contains("name=\"measure\" value=\"srs\""));
    for measure in ["ors", "srs"] {
        let answer = rate(&p.pat, child, &[("measure", measure), ("total", "20")]).await;
        assert_eq!(
            answer.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{measure} for a child"
        );
    }
    assert_eq!(count_rows(&app, "ratings").await, 0);
    total(&p.pat, child, "cors", "", "20").await;
    let page = client_page(&p.pat, child).await;
    assert_eq!(row_for_session(&page, "1")[1], "20.0");
    assert!(
        select_texts(&page, "#progress-table thead th")
            .iter()
            .any(|h| h == "CORS"),
        "CORS column"
    );

    let me = sign_in(&app, &login, &password).await;
    let my = me.get("/my").await;
    assert!(
        my.body.contains("href=\"/my/measures/csrs\""),
        "CSRS pending after CORS"
    );
    assert!(!my.body.contains("href=\"/my/measures/ors\""));
    assert_eq!(me.get("/my/measures/ors").await.status, StatusCode::NOT_FOUND);
    assert_eq!(me.get("/my/measures/srs").await.status, StatusCode::NOT_FOUND);
    let csrf = me.csrf_from("/my").await;
    let answer = me
        .post(
            "/my/measures/ors",
            &[
                ("csrf_token", &csrf),
                ("item1", "5"),
                ("item2", "5"),
                ("item3", "5"),
                ("item4", "5"),
            ],
        )
        .await;
    assert_eq!(answer.status, StatusCode::NOT_FOUND);
    let answer = me
        .submit(
            "/my/measures/csrs",
            "/my/measures/csrs",
            &[("item1", "9"), ("item2", "9"), ("item3", "9"), ("item4", "9")],
        )
        .await;
    assert_eq!(answer.status, StatusCode::SEE_OTHER, "{:?}", error_texts(&answer));
    assert_eq!(count_rows(&app, "ratings").await, 2);
    let page = client_page(&p.pat, child).await;
    assert_eq!(row_for_session(&page, "1")[3], "36.0");
}

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
    assert!(lines.iter().all(|l| l.len() == 12), "{lines:?}");
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
    assert!(text.contains("6 (reliable change)"), "{text}");
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

async fn a_clients_own_phq9_item9_answer_raises_the_safety_alert(app: TestApp) {
    let p = practice(&app).await;
    let (client, login, password) = create_client(&p.pat, None, "").await;
    let me = sign_in(&app, &login, &password).await;
    let my = me.get("/my").await;
    assert!(my.body.contains("href=\"/my/measures/phq9\""), "PHQ-9 offered");
    let form = me.get("/my/measures/phq9").await;
    assert_eq!(form.status, StatusCode::OK);
    assert!(form.body.contains("name=\"item9\""));
    let mut fields = Vec::new();
    for item in [
        "item1", "item2", "item3", "item4", "item5", "item6", "item7", "item8",
    ] {
        fields.push((item, "0"));
    }
    fields.push(("item9", "2"));
    let answer = me.submit("/my/measures/phq9", "/my/measures/phq9", &fields).await;
    assert_eq!(answer.status, StatusCode::SEE_OTHER, "{:?}", error_texts(&answer));
    assert!(
        client_page(&p.pat, client)
            .await
            .element_text("safety-alert")
            .is_some()
    );
    assert!(p.pat.get("/dashboard").await.body.contains("Safety alert"));
    let mails = safety_mails(&app);
    assert_eq!(mails.len(), 1, "the provider (no supervisor)");
    assert!(mail_is_to(&mails[0], "pat@example.com"));
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
    flags_follow_the_expected_trajectory,
    an_intake_above_32_has_no_expected_trajectory_and_stays_grey,
    the_outcome_flag_uses_the_expectation_at_the_actual_session,
    a_low_or_falling_alliance_raises_the_alliance_flag,
    the_dashboard_lists_red_clients_first,
    a_supervisor_sees_one_section_per_provider,
    a_phq9_item9_answer_raises_a_safety_alert_at_once_until_acknowledged,
    a_client_completes_the_ors_on_their_device_and_the_provider_sees_it,
    the_client_sees_their_graph_only_when_the_provider_allows_it,
    children_get_cors_and_csrs_and_cannot_open_ors,
    closing_an_episode_and_starting_a_new_one_restarts_sessions_at_one,
    a_switched_off_measure_is_refused,
    a_refused_measure_says_why_on_the_page,
    staff_outside_the_caseload_get_404_and_save_nothing,
    the_owner_dashboard_shows_account_wide_figures,
    export_has_one_line_per_rating_and_is_for_owners_and_admins,
    transferring_a_client_is_audited_and_moves_the_caseload,
    ors_entered_at_the_same_moment_share_one_episode_with_distinct_sessions,
    a_changed_reliable_change_setting_applies_to_page_and_dashboard_alike,
    an_adolescent_uses_the_ors_with_the_youth_trajectory,
    a_clients_own_phq9_item9_answer_raises_the_safety_alert,
    a_rating_without_the_csrf_token_is_refused,
);
