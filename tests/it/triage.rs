//! Triage at a real caseload (SPEC §3.3): worst first on every dashboard, 50 to a page with
//! next and previous links, and `/clients` searched, filtered, sorted and paged in the address.

use reqwest::StatusCode;

use crate::common::{Answer, Browser, TestApp, create_staff, form_errors};
use crate::outcomes_common::{caseload, error_texts, ors_series, practice, rate, select_texts, total};

/// A client named `first last` of provider `provider`, created through the form; their id.
async fn named(staff: &Browser, first: &str, last: &str, provider: i32) -> i32 {
    let answer = staff
        .submit(
            "/clients/new",
            "/clients/new",
            &[
                ("first_name", first),
                ("last_name", last),
                ("age_group", "adult"),
                ("phone", ""),
                ("email", ""),
                ("provider_id", &provider.to_string()),
            ],
        )
        .await;
    assert_eq!(answer.status, StatusCode::OK, "{:?}", error_texts(&answer));
    let document = scraper::Html::parse_document(&answer.body);
    let link = scraper::Selector::parse("a[href^='/clients/']").expect("selector");
    document
        .select(&link)
        .filter_map(|a| a.value().attr("href"))
        .find_map(|h| h.trim_start_matches("/clients/").parse().ok())
        .expect("a link to the new client")
}

fn ranks(page: &Answer) -> Vec<i32> {
    let document = scraper::Html::parse_document(&page.body);
    let rows = scraper::Selector::parse("table.caseload tbody tr").expect("selector");
    document
        .select(&rows)
        .filter_map(|r| r.value().attr("data-rank")?.parse().ok())
        .collect()
}

fn listed(page: &Answer) -> Vec<i32> {
    caseload(page).into_iter().map(|(_, id, _)| id).collect()
}

async fn clients_needing_attention_come_worst_first_then_longest_off_track(app: TestApp) {
    let p = practice(&app).await;
    let pat = p.pat_id;
    let late_amber = named(&p.pat, "Lee", "Late", pat).await;
    let green = named(&p.pat, "Gil", "Green", pat).await;
    let grey = named(&p.pat, "Gia", "Grey", pat).await;
    let early_amber = named(&p.pat, "Eve", "Early", pat).await;
    let red_alliance = named(&p.pat, "Ray", "Alliance", pat).await;
    let red = named(&p.pat, "Rex", "Red", pat).await;
    let alert = named(&p.pat, "Ada", "Alert", pat).await;
    // The early one goes amber ten minutes before the late one.
    ors_series(&p.pat, early_amber, &["20", "20"]).await;
    app.clock.advance(600);
    ors_series(&p.pat, late_amber, &["20", "20"]).await;
    ors_series(&p.pat, green, &["20", "25"]).await;
    ors_series(&p.pat, red, &["20", "14"]).await;
    ors_series(&p.pat, red_alliance, &["20", "25"]).await;
    total(&p.pat, red_alliance, "srs", "", "30").await;
    // A safety alert on an otherwise green client still comes first.
    ors_series(&p.pat, alert, &["20", "25"]).await;
    let mut phq9 = vec![("measure", "phq9"), ("session", ""), ("source", "paper")];
    for item in [
        "item1", "item2", "item3", "item4", "item5", "item6", "item7", "item8",
    ] {
        phq9.push((item, "0"));
    }
    phq9.push(("item9", "1"));
    assert_eq!(rate(&p.pat, alert, &phq9).await.status, StatusCode::SEE_OTHER);

    let worst_first = vec![alert, red, red_alliance, early_amber, late_amber];
    let owner = p.owner.get("/dashboard").await;
    assert_eq!(listed(&owner), worst_first, "owner: only those needing attention");
    assert_eq!(ranks(&owner), vec![0, 1, 2, 3, 3]);
    let flags = select_texts(&owner, "table.caseload tbody td:nth-child(2)");
    assert_eq!(
        flags,
        ["Safety alert", "Red: outcome", "Red: alliance", "Amber", "Amber"]
    );
    let since = select_texts(&owner, "table.caseload tbody td:nth-child(7)");
    assert!(since.iter().all(|d| !d.is_empty()), "since when: {since:?}");
    let last = select_texts(&owner, "table.caseload tbody td:nth-child(6)");
    assert!(
        last.iter().all(|d| !d.is_empty()),
        "the last session's date: {last:?}"
    );

    let provider = p.pat.get("/dashboard").await;
    let mut everyone = worst_first.clone();
    everyone.extend([green, grey]);
    assert_eq!(
        listed(&provider),
        everyone,
        "provider: the whole caseload, worst first"
    );

    // Seen and acknowledged, the alert drops to the client's own flag (green here).
    let answer = p
        .pat
        .submit(
            &format!("/clients/{alert}"),
            &format!("/clients/{alert}/alerts/acknowledge"),
            &[],
        )
        .await;
    assert_eq!(answer.status, StatusCode::SEE_OTHER);
    assert!(!listed(&p.owner.get("/dashboard").await).contains(&alert));
    // Back on track: off the attention list, and a later slip starts a new "since".
    ors_series(&p.pat, early_amber, &["30"]).await;
    let owner = p.owner.get("/dashboard").await;
    assert_eq!(listed(&owner), vec![red, red_alliance, late_amber]);
}

/// The demo practice: `n` clients with about 20 ratings each, written straight to the database.
async fn demo(app: &TestApp, n: usize) -> (String, String) {
    let dir = tempfile::tempdir().expect("temp dir");
    let figment = rocket::Config::figment()
        .merge(("data_dir", dir.path().display().to_string()))
        .merge(("database_url", app.db_url.clone()))
        .merge(("secret_key", crate::common::SECRET_KEY));
    let summary = outcomes::run_demo(figment, &["--clients".into(), n.to_string()])
        .await
        .expect("demo runs");
    let owner = summary
        .split("Sign in as ")
        .nth(1)
        .and_then(|rest| rest.split(' ').next())
        .expect("owner login")
        .to_string();
    let provider = owner.replace("demo-owner-", "demo-pro-") + "-0";
    (owner, provider)
}

async fn the_lists_page_fifty_at_a_time_in_order(app: TestApp) {
    let (owner_login, _) = demo(&app, 160).await;
    let owner = app.browser();
    owner.login(&owner_login, outcomes::demo::DEMO_PASSWORD).await;
    let first = owner.get("/dashboard").await;
    let total: usize = select_texts(&first, "nav.pager p")[0]
        .split(" of ")
        .nth(1)
        .and_then(|t| t.split_whitespace().next())
        .and_then(|t| t.parse().ok())
        .expect("how many in all");
    assert!(
        total > 50,
        "the demo has more than a page needing attention: {total}"
    );
    let mut seen: Vec<i32> = Vec::new();
    let mut all_ranks: Vec<i32> = Vec::new();
    let mut page = first;
    for _ in 0..10 {
        let ids = listed(&page);
        assert!(ids.len() <= 50 && !ids.is_empty());
        seen.extend(&ids);
        all_ranks.extend(ranks(&page));
        let next = crate::common::attr(&page, "a[rel=next]", "href");
        match next {
            Some(href) => {
                page = owner.get(&href.replace("&amp;", "&")).await;
                assert_eq!(page.status, StatusCode::OK);
                assert!(crate::common::attr(&page, "a[rel=prev]", "href").is_some());
            }
            None => break,
        }
    }
    assert_eq!(seen.len(), total, "every client once across the pages");
    let mut unique = seen.clone();
    unique.sort_unstable();
    unique.dedup();
    assert_eq!(unique.len(), total, "no client twice");
    assert!(
        all_ranks.windows(2).all(|w| w[0] <= w[1]),
        "worst first across pages"
    );
    assert!(all_ranks.iter().all(|r| *r <= 3), "only those needing attention");
    // Past the end shows the last page; nonsense shows the first.
    assert_eq!(owner.get("/dashboard?page=999").await.status, StatusCode::OK);

    let clients = owner.get("/clients?sort=name").await;
    assert_eq!(
        crate::outcomes_common::table_rows(&clients, "table.clients").len(),
        50
    );
    let second = owner.get("/clients?sort=name&page=2").await;
    let names = |a: &Answer| -> Vec<String> {
        crate::outcomes_common::table_rows(a, "table.clients")
            .into_iter()
            .map(|r| r[0].clone())
            .collect()
    };
    let (one, two) = (names(&clients), names(&second));
    assert!(
        one.windows(2).all(|w| w[0] <= w[1]) && one.last() <= two.first(),
        "by name across pages"
    );
}

async fn the_client_list_searches_filters_and_sorts_in_the_address(app: TestApp) {
    let p = practice(&app).await;
    let pam = create_staff(&p.owner, "provider", "pam", "", None).await;
    let zeller = named(&p.pat, "Ann", "Zeller", p.pat_id).await;
    let young = named(&p.pat, "Bob", "Young", p.pat_id).await;
    let adams = named(&p.owner, "Cy", "Adams", pam).await;
    ors_series(&p.pat, young, &["20", "14"]).await;
    ors_series(&p.pat, zeller, &["20", "25"]).await;
    let ids = |a: &Answer| -> Vec<i32> {
        let document = scraper::Html::parse_document(&a.body);
        let link = scraper::Selector::parse("table.clients tbody a").expect("selector");
        document
            .select(&link)
            .filter_map(|l| {
                l.value()
                    .attr("href")?
                    .trim_start_matches("/clients/")
                    .parse()
                    .ok()
            })
            .collect()
    };
    let owner = &p.owner;
    assert_eq!(
        ids(&owner.get("/clients").await),
        vec![adams, young, zeller],
        "by last name"
    );
    assert_eq!(ids(&owner.get("/clients?q=ZEL").await), vec![zeller], "any case");
    assert_eq!(
        ids(&owner.get("/clients?q=%25").await),
        Vec::<i32>::new(),
        "% is literal"
    );
    assert_eq!(
        ids(&owner.get("/clients?q=%22ZEL%22").await),
        Vec::<i32>::new(),
        "quotes are text"
    );
    assert_eq!(
        ids(&owner.get("/clients?q=n+Zel").await),
        vec![zeller],
        "across first and last name"
    );
    // A renamed client is found by the new name only (SQLite's search table follows).
    let renamed = format!("/clients/{adams}");
    let fields = [
        ("first_name", "Cy"),
        ("last_name", "Brandt"),
        ("age_group", "adult"),
        ("phone", ""),
        ("email", ""),
        ("provider_id", &pam.to_string()),
    ];
    assert_eq!(
        owner.submit(&renamed, &renamed, &fields).await.status,
        StatusCode::SEE_OTHER
    );
    assert_eq!(
        ids(&owner.get("/clients?q=brandt").await),
        vec![adams],
        "the new name"
    );
    assert_eq!(
        ids(&owner.get("/clients?q=adams").await),
        Vec::<i32>::new(),
        "not the old"
    );
    let login = select_texts(&owner.get("/clients?q=Young").await, "table.clients tbody td")[0].clone();
    assert_eq!(
        ids(&owner.get(&format!("/clients?q={login}")).await),
        vec![young],
        "by user ID"
    );
    assert_eq!(ids(&owner.get("/clients?flag=red").await), vec![young]);
    assert_eq!(ids(&owner.get("/clients?flag=green").await), vec![zeller]);
    assert_eq!(ids(&owner.get("/clients?flag=grey").await), vec![adams]);
    assert_eq!(
        ids(&owner.get(&format!("/clients?provider={pam}")).await),
        vec![adams]
    );
    assert_eq!(
        ids(&owner.get("/clients?sort=flag").await),
        vec![young, zeller, adams]
    );
    assert_eq!(
        ids(&owner.get("/clients?sort=last_session").await)[2],
        adams,
        "never seen: last"
    );
    // Columns: name, user ID, flag, latest score, change, last session, provider, status.
    let row = crate::outcomes_common::table_rows(&owner.get("/clients?q=young").await, "table.clients");
    assert_eq!(&row[0][2..5], ["Red: outcome", "14.0", "-6.0"]);
    assert!(!row[0][5].is_empty() && row[0][6] == "Staff pat" && row[0][7] == "Active");
    // The provider sees only their own, without a provider filter.
    let mine = p.pat.get("/clients").await;
    assert_eq!(ids(&mine), vec![young, zeller]);
    assert!(!mine.body.contains("name=\"provider\""));
    // Deactivated clients only when asked for.
    let path = format!("/clients/{zeller}");
    let answer = p.pat.submit(&path, &format!("{path}/deactivate"), &[]).await;
    assert_eq!(answer.status, StatusCode::SEE_OTHER);
    assert_eq!(ids(&p.pat.get("/clients").await), vec![young]);
    assert_eq!(ids(&p.pat.get("/clients?status=inactive").await), vec![zeller]);
    assert_eq!(ids(&p.pat.get("/clients?status=all").await), vec![young, zeller]);
    // The form keeps its values; bad ones are named with a 422, never a 500.
    let kept = owner.get("/clients?q=ann&flag=green&sort=flag").await;
    assert!(kept.body.contains("value=\"ann\""), "search kept");
    assert!(kept.body.contains("<option value=\"green\" selected>"));
    let bad = owner.get("/clients?flag=purple&sort=height&page=0&q=ann").await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    let errors = form_errors(&bad);
    for field in ["flag", "sort", "page"] {
        assert!(errors.contains_key(field), "{field}: {errors:?}");
    }
    assert!(bad.body.contains("value=\"ann\""), "typed values survive");
}

crate::db_tests!(
    clients_needing_attention_come_worst_first_then_longest_off_track,
    the_lists_page_fifty_at_a_time_in_order,
    the_client_list_searches_filters_and_sorts_in_the_address,
);
