//! `/audit` pages by keyset (issue 17): older and newer links by (time, id) walk every event
//! once, in order, both ways, even when many share one second; a tampered link is a 422.

use reqwest::StatusCode;
use sea_orm::{ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter};

use crate::common::{Answer, TestApp, attr};
use crate::outcomes_common::{practice, select_texts};

/// The "change n" numbers of a page's rows, top to bottom.
fn changes(page: &Answer) -> Vec<u32> {
    select_texts(page, "#audit-log tbody td:nth-child(5)")
        .iter()
        .filter_map(|d| d.strip_prefix("change ")?.parse().ok())
        .collect()
}

fn link(page: &Answer, rel: &str) -> Option<String> {
    attr(page, &format!("nav.pager a[rel={rel}]"), "href").map(|h| h.replace("&amp;", "&"))
}

async fn audit_pages_walk_every_event_once_both_ways(app: TestApp) {
    let p = practice(&app).await;
    let db = app.db().await;
    let owner = entities::user::Entity::find()
        .filter(entities::user::Column::Login.eq("olivia"))
        .one(&db)
        .await
        .expect("read owner")
        .expect("owner");
    // 130 events, 70 of them in one second: a page edge falls inside that second.
    let now = app.clock.now();
    let rows: Vec<entities::audit_log::ActiveModel> = (0..130)
        .map(|n| entities::audit_log::ActiveModel {
            at: Set(now + 10 + i64::from(u32::from(n >= 70))),
            account_id: Set(Some(owner.account_id)),
            actor_id: Set(Some(owner.id)),
            action: Set("test.paged".into()),
            subject: Set(None),
            ip: Set(Some("127.0.0.1".into())),
            outcome: Set("success".into()),
            details: Set(Some(format!("change {n}"))),
            ..Default::default()
        })
        .collect();
    entities::audit_log::Entity::insert_many(rows)
        .exec(&db)
        .await
        .expect("insert audit rows");
    let mut expected: Vec<u32> = (0..130).collect();
    // Newest first: the later second (70..130), then the earlier; within one, the higher id.
    expected.sort_by_key(|n| (std::cmp::Reverse(u32::from(*n >= 70)), std::cmp::Reverse(*n)));

    let first = p.owner.get("/audit?event=test.paged").await;
    assert_eq!(first.status, StatusCode::OK);
    assert_eq!(link(&first, "prev"), None, "the newest page has no newer page");
    let mut pages = vec![changes(&first)];
    let mut next = link(&first, "next");
    while let Some(href) = next {
        assert!(pages.len() < 10, "the walk ends");
        let page = p.owner.get(&href).await;
        assert_eq!(page.status, StatusCode::OK, "{href}");
        assert!(href.contains("event=test.paged"), "filters kept: {href}");
        assert!(link(&page, "prev").is_some(), "an older page links back");
        pages.push(changes(&page));
        next = link(&page, "next");
    }
    assert_eq!(
        pages.iter().map(Vec::len).collect::<Vec<_>>(),
        [50, 50, 30],
        "pages of 50"
    );
    let walked: Vec<u32> = pages.concat();
    assert_eq!(walked, expected, "older links: every event once, newest first");

    // And back up from the oldest page by the newer links.
    let mut page = p.owner.get(&link(&first, "next").expect("older")).await;
    page = p.owner.get(&link(&page, "next").expect("oldest")).await;
    let mut back = vec![changes(&page)];
    while let Some(href) = link(&page, "prev") {
        assert!(back.len() < 10, "the walk ends");
        page = p.owner.get(&href).await;
        back.push(changes(&page));
    }
    back.reverse();
    assert_eq!(back, pages, "newer links give the same pages back");

    let tampered = p.owner.get("/audit?older=yesterday").await;
    assert_eq!(tampered.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        tampered.body.contains("This page link could not be read"),
        "a clear message"
    );
}

crate::db_tests!(audit_pages_walk_every_event_once_both_ways);
