//! The client's own measures (SPEC §4 `/my`): completing the due measure, the shared graph,
//! children's versions of the scales.

use reqwest::StatusCode;

use crate::common::{Answer, TestApp, count_rows, create_client};
use crate::outcomes_common::{
    client_page, column, create_client_aged, error_texts, export_lines, ors_series, practice, progress_rows,
    rate, row_for_session, select_texts, sign_in, total,
};

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
    // The client's own view (SPEC §3.2): their scores in plain words, not the clinician's panel.
    assert!(
        shown.element_text("outcome-flag").is_none(),
        "no flag for the client"
    );
    assert_eq!(
        shown.element_text("progress-summary").as_deref(),
        Some("Your score went from 20.0 to 24.0; higher is better.")
    );

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

crate::db_tests!(
    a_client_completes_the_ors_on_their_device_and_the_provider_sees_it,
    the_client_sees_their_graph_only_when_the_provider_allows_it,
    children_get_cors_and_csrs_and_cannot_open_ors,
);
