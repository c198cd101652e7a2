//! Helpers shared by the `outcomes_*` tests (SPEC §3-4, OUTCOMES.md): a practice with a
//! provider, posting ratings, and reading tables, flags, dashboards and exports off the pages.

use reqwest::StatusCode;

use crate::common::{Answer, Browser, STRONG_PASSWORD, TestApp, create_staff, id_from_location};

/// Form fields as posted.
pub(crate) type Fields = Vec<(&'static str, &'static str)>;

pub(crate) const ALL_MEASURES: [&str; 6] = ["ors", "cors", "srs", "csrs", "phq9", "gad7"];

/// A `pro` practice (two-factor off) with the owner and a provider "pat" both signed in.
pub(crate) struct Practice {
    pub(crate) owner: Browser,
    pub(crate) pat: Browser,
    pub(crate) pat_id: i32,
}

/// `practice`, with the app's clock moved out of quiet hours first (`skip_quiet_hours`), for
/// the tests that read a text sent on demand at once.
pub(crate) async fn practice_by_day(app: &TestApp) -> Practice {
    app.skip_quiet_hours();
    practice(app).await
}

pub(crate) async fn practice(app: &TestApp) -> Practice {
    let owner = app.signup("pro", "olivia", "").await;
    owner.login("olivia", STRONG_PASSWORD).await;
    let pat_id = create_staff(&owner, "provider", "pat", "", None).await;
    let pat = sign_in(app, "pat", STRONG_PASSWORD).await;
    Practice { owner, pat, pat_id }
}

pub(crate) async fn sign_in(app: &TestApp, login: &str, password: &str) -> Browser {
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
pub(crate) async fn create_client_aged(
    staff: &Browser,
    provider_id: i32,
    age_group: &str,
) -> (i32, String, String) {
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
pub(crate) async fn rate(staff: &Browser, client: i32, fields: &[(&str, &str)]) -> Answer {
    staff
        .submit(
            &format!("/clients/{client}"),
            &format!("/clients/{client}/ratings"),
            fields,
        )
        .await
}

/// Records a total-only (paper) rating and asserts it was saved.
pub(crate) async fn total(staff: &Browser, client: i32, measure: &str, session: &str, value: &str) {
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
        Some(format!("/clients/{client}?saved=rating#progress").as_str())
    );
}

/// Records ORS totals for sessions 1, 2, … in order.
pub(crate) async fn ors_series(staff: &Browser, client: i32, totals: &[&str]) {
    for value in totals {
        total(staff, client, "ors", "", value).await;
    }
}

pub(crate) fn select_texts(answer: &Answer, css: &str) -> Vec<String> {
    let document = scraper::Html::parse_document(&answer.body);
    let selector = scraper::Selector::parse(css).expect("selector");
    document
        .select(&selector)
        .map(|e| e.text().collect::<String>().trim().to_string())
        .collect()
}

/// Every error message on a page.
pub(crate) fn error_texts(answer: &Answer) -> Vec<String> {
    select_texts(answer, "p.error")
}

/// The accessible table of the graph: one row per session, cells as text
/// (session, outcome, expected, alliance, other measures).
pub(crate) fn progress_rows(answer: &Answer) -> Vec<Vec<String>> {
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

/// The body rows of the table matching `table` (a CSS selector), each as its cells' texts.
pub(crate) fn table_rows(answer: &Answer, table: &str) -> Vec<Vec<String>> {
    let document = scraper::Html::parse_document(&answer.body);
    let rows = scraper::Selector::parse(&format!("{table} tbody tr")).expect("selector");
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

pub(crate) fn row_for_session(answer: &Answer, session: &str) -> Vec<String> {
    progress_rows(answer)
        .into_iter()
        .find(|row| row.first().map(String::as_str) == Some(session))
        .unwrap_or_else(|| panic!("a row for session {session}: {:?}", progress_rows(answer)))
}

/// (colour from the `flag-…` class, text) of `#outcome-flag` or `#alliance-flag`.
pub(crate) fn flag(answer: &Answer, id: &str) -> (String, String) {
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

pub(crate) async fn client_page(staff: &Browser, client: i32) -> Answer {
    let page = staff.get(&format!("/clients/{client}")).await;
    assert_eq!(page.status, StatusCode::OK, "client page");
    page
}

/// `(data-flag, client id, row text)` of each caseload row, in page order.
pub(crate) fn caseload(answer: &Answer) -> Vec<(String, i32, String)> {
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
pub(crate) fn figure(answer: &Answer, label: &str) -> String {
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
        .map_or_else(
            || panic!("{label} in #account-figures"),
            |d| d.text().collect::<String>().trim().to_string(),
        )
}

pub(crate) fn number(text: &str) -> f64 {
    text.trim_end_matches('%')
        .trim()
        .parse()
        .unwrap_or_else(|_| panic!("a number: {text:?}"))
}

/// Export lines below the header, split into fields (no field holds a comma).
pub(crate) fn export_lines(csv: &Answer) -> Vec<Vec<String>> {
    csv.body
        .lines()
        .skip(1)
        .filter(|l| !l.is_empty())
        .map(|l| l.split(',').map(str::to_string).collect())
        .collect()
}

pub(crate) const EXPORT_HEADER: &str = "client_id,client_user_id,age_group,episode,session,measure,loinc_total,items,total,source,entered_by,time_utc,time_local";

pub(crate) fn column(name: &str) -> usize {
    EXPORT_HEADER
        .split(',')
        .position(|c| c == name)
        .unwrap_or_else(|| panic!("column {name}"))
}

/// Sends the Options form with every measure on except `off`.
pub(crate) async fn options_without(owner: &Browser, off: &str) -> Answer {
    options(owner, off, "5").await
}

/// Sends the whole Options form (two-factor off) with every measure on except `off`.
pub(crate) async fn options(owner: &Browser, off: &str, reliable_change: &str) -> Answer {
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

pub(crate) fn safety_mails(app: &TestApp) -> Vec<String> {
    app.mail_files()
        .into_iter()
        .filter(|m| m.contains("safety alert"))
        .collect()
}

pub(crate) fn mail_is_to(mail: &str, address: &str) -> bool {
    mail.lines()
        .any(|l| l.to_ascii_lowercase().starts_with("to:") && l.contains(address))
}

/// The provider asks for symptom questionnaires from the client page ("Questionnaires"):
/// `choices` as (`phq9` | `gad7`, `no` | `next` | period in sessions); asserts it was saved.
pub(crate) async fn ask_for(staff: &Browser, client: i32, choices: &[(&str, &str)]) {
    let answer = staff
        .submit(
            &format!("/clients/{client}"),
            &format!("/clients/{client}/questionnaires"),
            choices,
        )
        .await;
    assert_eq!(
        answer.status,
        StatusCode::SEE_OTHER,
        "questionnaires saved: {:?}",
        error_texts(&answer)
    );
}
