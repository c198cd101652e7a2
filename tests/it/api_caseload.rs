//! `GET /api/v1/clients` at a size that takes several batches (issue 17): every client of the
//! caller's caseload once, worst first (triage rank, then name, then id) across the batch
//! boundaries, in the documented shape, and nobody else's clients.

use std::collections::BTreeSet;

use reqwest::StatusCode;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QuerySelect};
use serde_json::Value;

use crate::common::TestApp;

/// More than two batches of 1,000 for the owner.
const CLIENTS: usize = 2_500;

async fn token(app: &TestApp, login: &str) -> String {
    let reply: Value = reqwest::Client::new()
        .post(format!("{}/api/v1/login", app.base))
        .json(&serde_json::json!({"user_id": login, "password": outcomes::demo::DEMO_PASSWORD}))
        .send()
        .await
        .expect("sign in")
        .json()
        .await
        .expect("JSON");
    reply["access_token"]
        .as_str()
        .unwrap_or_else(|| panic!("a token for {login}: {reply}"))
        .to_string()
}

async fn caseload(app: &TestApp, token: &str) -> Vec<Value> {
    let answer = reqwest::Client::new()
        .get(format!("{}/api/v1/clients", app.base))
        .bearer_auth(token)
        .send()
        .await
        .expect("GET /api/v1/clients");
    assert_eq!(answer.status(), StatusCode::OK);
    assert!(
        answer
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .starts_with("application/json")
    );
    let text = answer.text().await.expect("body");
    let json: Value = serde_json::from_str(&text).expect("one whole JSON document");
    json["clients"].as_array().expect("a clients array").clone()
}

/// The triage rank as documented: alert, red outcome, red alliance, amber, green, no flag.
fn rank(row: &Value) -> u8 {
    let outcome = row["outcome_flag"].as_str().unwrap_or_default();
    let alliance = row["alliance_flag"].as_str().unwrap_or_default();
    if row["safety_alert"] == Value::Bool(true) {
        0
    } else if outcome == "red" {
        1
    } else if alliance == "red" {
        2
    } else if outcome == "amber" || alliance == "amber" {
        3
    } else if outcome == "green" || alliance == "green" {
        4
    } else {
        5
    }
}

fn keys(rows: &[Value]) -> Vec<(u8, String, i64)> {
    rows.iter()
        .map(|r| {
            (
                rank(r),
                r["full_name"].as_str().unwrap_or_default().to_string(),
                r["id"].as_i64().unwrap_or_default(),
            )
        })
        .collect()
}

async fn the_api_caseload_streams_every_client_worst_first_across_batches(app: TestApp) {
    let db = app.db().await;
    let tag = app.demo_practice(CLIENTS).await;
    // A client made inactive is left out, as before.
    let inactive: i32 = entities::user::Entity::find()
        .select_only()
        .column(entities::user::Column::Id)
        .filter(entities::user::Column::Login.eq(format!("demo-c-{tag}-7")))
        .into_tuple()
        .one(&db)
        .await
        .expect("read")
        .expect("client 7");
    entities::user::Entity::update_many()
        .col_expr(
            entities::user::Column::Active,
            sea_orm::sea_query::Expr::value(false),
        )
        .filter(entities::user::Column::Id.eq(inactive))
        .exec(&db)
        .await
        .expect("deactivate");

    let owner = caseload(&app, &token(&app, &format!("demo-owner-{tag}")).await).await;
    let first = owner[0].as_object().expect("a row object");
    let fields: BTreeSet<&str> = first.keys().map(String::as_str).collect();
    assert_eq!(
        fields,
        BTreeSet::from([
            "id",
            "full_name",
            "provider_id",
            "age_group",
            "sessions",
            "intake",
            "latest",
            "change",
            "outcome_flag",
            "alliance_flag",
            "safety_alert",
            "display",
        ]),
        "the documented row shape"
    );
    let all_active: BTreeSet<i64> = entities::user::Entity::find()
        .select_only()
        .column(entities::user::Column::Id)
        .filter(entities::user::Column::Role.eq("client"))
        .filter(entities::user::Column::Active.eq(true))
        .into_tuple::<i32>()
        .all(&db)
        .await
        .expect("read clients")
        .into_iter()
        .map(i64::from)
        .collect();
    let seen = keys(&owner);
    assert_eq!(seen.len(), CLIENTS - 1, "every active client, once");
    let ids: BTreeSet<i64> = seen.iter().map(|k| k.2).collect();
    assert_eq!(ids, all_active, "exactly the practice's active clients");
    let mut sorted = seen.clone();
    sorted.sort();
    assert_eq!(seen, sorted, "worst first, then by name and id, across batches");
    assert!(
        seen.first().map(|k| k.0) < seen.last().map(|k| k.0),
        "more than one rank to order"
    );

    // A provider sees their own clients only.
    let provider_login = format!("demo-pro-{tag}-0");
    let provider_id: i32 = entities::user::Entity::find()
        .select_only()
        .column(entities::user::Column::Id)
        .filter(entities::user::Column::Login.eq(provider_login.as_str()))
        .into_tuple()
        .one(&db)
        .await
        .expect("read")
        .expect("provider 0");
    let theirs: BTreeSet<i64> = entities::user::Entity::find()
        .select_only()
        .column(entities::user::Column::Id)
        .filter(entities::user::Column::ProviderId.eq(provider_id))
        .filter(entities::user::Column::Active.eq(true))
        .into_tuple::<i32>()
        .all(&db)
        .await
        .expect("read")
        .into_iter()
        .map(i64::from)
        .collect();
    let provider = caseload(&app, &token(&app, &provider_login).await).await;
    let listed: BTreeSet<i64> = keys(&provider).iter().map(|k| k.2).collect();
    assert!(!theirs.is_empty());
    assert_eq!(listed, theirs, "the provider's own clients, nobody else's");
    assert!(
        provider
            .iter()
            .all(|r| r["provider_id"].as_i64() == Some(i64::from(provider_id)))
    );
}

crate::db_tests!(the_api_caseload_streams_every_client_worst_first_across_batches);
