//! Pages whose work must not grow with the caseload, and the synthetic-data command.

use reqwest::StatusCode;

use crate::common::{Browser, STRONG_PASSWORD, TestApp, create_client, create_staff};

/// Adds `n` clients to the provider, each with an intake and a second ORS.
async fn add_rated_clients(staff: &Browser, provider: i32, n: usize) {
    for _ in 0..n {
        let (id, _, _) = create_client(staff, Some(provider), "").await;
        for (session, total) in [("1", "20"), ("2", "12")] {
            let page = format!("/clients/{id}");
            let answer = staff
                .submit(
                    &page,
                    &format!("{page}/ratings"),
                    &[("measure", "ors"), ("session", session), ("total", total)],
                )
                .await;
            assert_eq!(answer.status, StatusCode::SEE_OTHER, "{}", answer.body);
        }
    }
}

async fn queries_for(app: &TestApp, browser: &Browser, path: &str) -> i64 {
    // A session idle for 10 s or more is touched (one UPDATE) on its next request; a warm-up
    // request makes the measured one count the page's own statements only, however long adding
    // the clients took.
    assert_eq!(browser.get(path).await.status, StatusCode::OK, "{path}");
    let before = app.queries.get();
    assert_eq!(browser.get(path).await.status, StatusCode::OK, "{path}");
    app.queries.get() - before
}

async fn dashboard_queries_do_not_grow_with_the_caseload(app: TestApp) {
    let owner = app.signup("pro", "olivia", "").await;
    owner.login("olivia", STRONG_PASSWORD).await;
    let sue = create_staff(&owner, "supervisor", "sue", "", None).await;
    let pat = create_staff(&owner, "provider", "pat", "", Some(sue)).await;
    let provider = app.browser();
    provider.login("pat", STRONG_PASSWORD).await;
    let supervisor = app.browser();
    supervisor.login("sue", STRONG_PASSWORD).await;
    add_rated_clients(&owner, pat, 2).await;
    // The dashboards and the paged lists, second pages included.
    let pages: [(&Browser, &str); 10] = [
        (&provider, "/dashboard"),
        (&supervisor, "/dashboard"),
        (&owner, "/dashboard"),
        (&owner, "/dashboard?page=2"),
        (&provider, "/clients"),
        (&supervisor, "/clients?flag=attention&sort=flag"),
        (&owner, "/clients?q=client&sort=last_session&page=2"),
        (&owner, "/clients?sort=last_session&status=all"),
        (&owner, "/audit"),
        (&owner, "/audit?event=rating.recorded&older=4102444800.1"),
    ];
    let mut small = Vec::new();
    for (browser, path) in pages {
        small.push(queries_for(&app, browser, path).await);
    }
    add_rated_clients(&owner, pat, 12).await;
    let mut large = Vec::new();
    for (browser, path) in pages {
        large.push(queries_for(&app, browser, path).await);
    }
    assert_eq!(
        small, large,
        "dashboards, client lists and audit pages: same number of SQL statements"
    );
    assert!(
        large.iter().all(|q| *q <= 20),
        "a handful of statements each: {large:?}"
    );
    let page = provider.get("/dashboard").await;
    assert_eq!(
        page.body.matches("data-flag=\"red\"").count(),
        14,
        "every client shown, all red (12 < 23.1 - 5)"
    );
}

async fn the_demo_command_fills_a_practice_that_signs_in(app: TestApp) {
    let dir = tempfile::tempdir().expect("temp dir");
    let figment = rocket::Config::figment()
        .merge(("data_dir", dir.path().display().to_string()))
        .merge(("database_url", app.db_url.clone()))
        .merge(("secret_key", crate::common::SECRET_KEY));
    let args = vec!["--clients".to_string(), "120".to_string()];
    let summary = outcomes::run_demo(figment, &args).await.expect("demo runs");
    assert!(summary.contains("120 clients"), "{summary}");
    let owner_login = summary
        .split("Sign in as ")
        .nth(1)
        .and_then(|rest| rest.split(' ').next())
        .expect("owner login in the summary")
        .to_string();
    let owner = app.browser();
    assert_eq!(
        owner
            .login(&owner_login, outcomes::demo::DEMO_PASSWORD)
            .await
            .status,
        StatusCode::SEE_OTHER
    );
    let dashboard = owner.get("/dashboard").await;
    assert_eq!(dashboard.status, StatusCode::OK);
    let figures = dashboard.element_text("account-figures").unwrap_or_default();
    assert!(figures.contains("Active clients120"), "{figures}");
    let ratings = crate::common::count_rows(&app, "ratings").await;
    assert!(
        (120 * 4..=120 * 36).contains(&ratings),
        "about 20 ratings a client: {ratings}"
    );
    assert!(outcomes::demo::DemoOptions::parse(&["--clients".into(), "0".into()]).is_err());
}

crate::db_tests!(
    dashboard_queries_do_not_grow_with_the_caseload,
    the_demo_command_fills_a_practice_that_signs_in
);
