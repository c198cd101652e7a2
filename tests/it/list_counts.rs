//! Lists past the count cap (issue 17): beyond 1,000 rows a list says "more than" instead of
//! counting every row, and still links to the next page; a page asked for past the end is
//! counted exactly and shows the last page.

use reqwest::StatusCode;

use crate::common::TestApp;

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

crate::db_tests!(a_list_past_the_count_cap_says_more_than_and_pages_on);
