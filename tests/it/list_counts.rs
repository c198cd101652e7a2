//! Lists past the count cap (issue 17): beyond 1,000 rows a list says "more than" instead of
//! counting every row, and still links to the next page; a page asked for past the end is
//! counted exactly and shows the last page.

use reqwest::StatusCode;

use crate::common::{Answer, TestApp, create_client};
use crate::outcomes_common::total;

/// More clients than a list counts (`caseload::COUNT_CAP`, 1,000).
const CLIENTS: usize = 1_200;

async fn a_list_past_the_count_cap_says_more_than_and_pages_on(app: TestApp) {
    let tag = app.demo_practice(CLIENTS).await;
    let owner = app.browser();
    let signed_in = owner
        .login(&format!("demo-owner-{tag}"), outcomes::demo::DEMO_PASSWORD)
        .await;
    assert_eq!(signed_in.status, StatusCode::SEE_OTHER, "the owner signs in");

    let first = owner.get("/clients").await;
    assert_eq!(first.status, StatusCode::OK);
    assert!(
        first.body.contains("1–50 of more than 1000 · page 1</p>"),
        "the first page counts to the cap: {}",
        first.body
    );
    assert!(first.body.contains("rel=\"next\""), "a next page");

    // A page past the cap counts as far as it needs, and links on.
    let page_21 = owner.get("/clients?page=21").await;
    assert_eq!(page_21.status, StatusCode::OK);
    assert!(
        page_21.body.contains("1001–1050 of more than 1050 · page 21</p>"),
        "page 21: {}",
        page_21.body
    );
    assert!(page_21.body.contains("rel=\"next\""));
    assert!(page_21.body.contains("rel=\"prev\""));

    // Past the end: every row counted, the last page shown, no next page.
    let last = owner.get("/clients?page=999").await;
    assert_eq!(last.status, StatusCode::OK);
    assert!(
        last.body.contains("1151–1200 of 1200 · page 24 of 24</p>"),
        "the last page: {}",
        last.body
    );
    assert!(!last.body.contains("rel=\"next\""), "no page after the last");

    // A narrower list under the cap is counted exactly.
    let search = owner.get("/clients?q=client+0001").await;
    assert_eq!(search.status, StatusCode::OK);
    assert!(!search.body.contains("more than"), "a search: {}", search.body);
}

/// The clients' ids on a list page, in order.
fn ids(page: &Answer) -> Vec<i32> {
    let document = scraper::Html::parse_document(&page.body);
    let link = scraper::Selector::parse("table.clients tbody a").expect("selector");
    document
        .select(&link)
        .filter_map(|a| {
            a.value()
                .attr("href")?
                .trim_start_matches("/clients/")
                .parse()
                .ok()
        })
        .collect()
}

/// The demo practice's owner, signed in, with three new "Casey Client"s for the first provider
/// of the list's provider filter; their ids.
async fn owner_with_three_new_clients(app: &TestApp, tag: &str) -> (crate::common::Browser, Vec<i32>) {
    let owner = app.browser();
    owner
        .login(&format!("demo-owner-{tag}"), outcomes::demo::DEMO_PASSWORD)
        .await;
    let list = owner.get("/clients").await;
    let document = scraper::Html::parse_document(&list.body);
    let option = scraper::Selector::parse("select[name=provider] option").expect("selector");
    let provider = document
        .select(&option)
        .find_map(|o| o.value().attr("value")?.parse::<i32>().ok())
        .expect("a provider to choose");
    let mut created = Vec::new();
    for _ in 0..3 {
        created.push(create_client(&owner, Some(provider), "").await.0);
    }
    (owner, created)
}

/// The whole practice by last session walks the clients' copy of their open episode's last
/// session (kept by triggers on `episodes`): a new rating brings a client to the top, a closed
/// episode sends them to the end with those never seen, and a search, read through the trigram
/// index, lists the same pages.
async fn the_practice_by_last_session_follows_ratings_and_closed_episodes(app: TestApp) {
    let tag = app.demo_practice(60).await;
    // Three clients without a session, and one demo client deactivated.
    let (owner, unseen) = owner_with_three_new_clients(&app, &tag).await;
    let before = ids(&owner.get("/clients?sort=last_session&status=all").await);
    let gone = before[7];
    let answer = owner
        .submit(
            &format!("/clients/{gone}"),
            &format!("/clients/{gone}/deactivate"),
            &[],
        )
        .await;
    assert_eq!(answer.status, StatusCode::SEE_OTHER);

    // A client from the second page is rated now; the first page's first client's episode
    // is closed.
    let second = ids(&owner.get("/clients?sort=last_session&status=all&page=2").await);
    let rated = second[2];
    // Demo clients' age groups are random; a child rates on the CORS.
    let age_group = {
        use sea_orm::EntityTrait;
        entities::user::Entity::find_by_id(rated)
            .one(&app.db().await)
            .await
            .expect("read")
            .expect("the rated client")
            .age_group
    };
    let measure = if age_group == Some(outcomes::domain::AgeGroup::Child) {
        "cors"
    } else {
        "ors"
    };
    total(&owner, rated, measure, "", "20").await;
    let closed = before[0];
    let path = format!("/clients/{closed}/episodes/close");
    assert_eq!(
        owner.submit(&path, &path, &[]).await.status,
        StatusCode::SEE_OTHER
    );

    for (status, rows) in [("active", 62), ("all", 63)] {
        let mut every = Vec::new();
        for page in 1..=2 {
            let listed = ids(&owner
                .get(&format!("/clients?sort=last_session&status={status}&page={page}"))
                .await);
            let searched = owner
                .get(&format!(
                    "/clients?sort=last_session&status={status}&page={page}&q=client"
                ))
                .await;
            assert_eq!(
                listed,
                ids(&searched),
                "{status}, page {page}: a search lists the same"
            );
            every.extend(listed);
        }
        assert_eq!(every.len(), rows, "{status}: every client");
        let mut distinct = every.clone();
        distinct.sort_unstable();
        distinct.dedup();
        assert_eq!(distinct.len(), rows, "{status}: no client twice");
        assert_eq!(every[0], rated, "{status}: rated just now, first");
        assert!(
            every[rows - 4..].contains(&closed),
            "{status}: no open episode, with the unseen last"
        );
        for id in &unseen {
            assert!(every[rows - 4..].contains(id), "{status}: never seen, last");
        }
        assert_eq!(
            every.contains(&gone),
            status == "all",
            "{status}: the deactivated client"
        );
    }
}

/// The name order every list ends with (SPEC §3.3), computed here from the stored names: last
/// name, then first name, each with the unnamed last, then full name, then id.
fn by_name_order(mut users: Vec<(i32, Option<String>, Option<String>, String)>) -> Vec<i32> {
    users.sort_by(|a, b| {
        let named_last = |x: &Option<String>, y: &Option<String>| match (x, y) {
            (Some(x), Some(y)) => x.cmp(y),
            (Some(_), None) => std::cmp::Ordering::Less,
            (None, Some(_)) => std::cmp::Ordering::Greater,
            (None, None) => std::cmp::Ordering::Equal,
        };
        named_last(&a.1, &b.1)
            .then_with(|| named_last(&a.2, &b.2))
            .then_with(|| a.3.cmp(&b.3))
            .then_with(|| a.0.cmp(&b.0))
    });
    users.into_iter().map(|u| u.0).collect()
}

async fn the_practice_by_name_lists_the_unnamed_last_on_every_path(app: TestApp) {
    use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect};
    let tag = app.demo_practice(60).await;
    // Demo clients have a full name only; three get "Casey Client" from the form, and a few
    // demo clients get a last name without a first name, so every NULL case is present.
    let (owner, _) = owner_with_three_new_clients(&app, &tag).await;
    let db = app.db().await;
    let account = entities::user::Entity::find()
        .filter(entities::user::Column::Login.eq(format!("demo-owner-{tag}")))
        .one(&db)
        .await
        .expect("read")
        .expect("owner")
        .account_id;
    let clients = || {
        entities::user::Entity::find()
            .select_only()
            .columns([
                entities::user::Column::Id,
                entities::user::Column::LastName,
                entities::user::Column::FirstName,
                entities::user::Column::FullName,
            ])
            .filter(entities::user::Column::AccountId.eq(account))
            .filter(entities::user::Column::Role.eq("client"))
    };
    let demo: Vec<i32> = clients()
        .select_only()
        .column(entities::user::Column::Id)
        .filter(entities::user::Column::LastName.is_null())
        .into_tuple()
        .all(&db)
        .await
        .expect("read");
    for (i, id) in demo.iter().step_by(7).enumerate() {
        let last = if i % 2 == 0 { "Aalto" } else { "Zorn" };
        db.execute_unprepared(&format!("UPDATE users SET last_name = '{last}' WHERE id = {id}"))
            .await
            .expect("name a demo client");
    }
    let expected = by_name_order(clients().into_tuple().all(&db).await.expect("read"));
    assert_eq!(expected.len(), 63);

    // The whole practice (on SQLite, the path through `idx_users_by_name`), a search that
    // matches everyone and the status filter at "all" must all give the stored order.
    for path in [
        "/clients?sort=name",
        "/clients?sort=name&status=all",
        "/clients?sort=name&q=c",
    ] {
        let mut listed = ids(&owner.get(path).await);
        listed.extend(ids(&owner.get(&format!("{path}&page=2")).await));
        assert_eq!(listed, expected, "{path}");
    }
    // The largest page number there is shows the last page, as any page past the end does.
    for sort in ["name", "last_session"] {
        let last = ids(&owner.get(&format!("/clients?sort={sort}&page=2")).await);
        let path = format!("/clients?sort={sort}&page=18446744073709551615");
        let answer = owner.get(&path).await;
        assert_eq!(answer.status, StatusCode::OK, "{path}");
        assert_eq!(ids(&answer), last, "{path}: the last page");
    }
    let dashboard = owner.get("/dashboard?page=18446744073709551615").await;
    assert_eq!(dashboard.status, StatusCode::OK);
}

crate::db_tests!(
    a_list_past_the_count_cap_says_more_than_and_pages_on,
    the_practice_by_last_session_follows_ratings_and_closed_episodes,
    the_practice_by_name_lists_the_unnamed_last_on_every_path
);
