//! `outcomes demo --clients N`: fills the configured database with a realistic synthetic
//! practice (staff, clients, episodes, about 20 ratings per client) for trying and measuring.

use std::collections::HashMap;

use rand::{Rng, SeedableRng};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, Iterable, QueryFilter,
    QuerySelect, Set, TransactionTrait,
};

use entities::{account, episode, rating, user};
use migrations::{Migrator, MigratorTrait};

use crate::auth::password::Hasher;
use crate::domain::measures::{self, alliance_measure_for, outcome_measure_for};
use crate::domain::scoring::Flag;
use crate::domain::{AgeGroup, NewPassword, Plan, Role};
use crate::services::outcomes::{OutcomeSettings, Source, age_of, apply_summary, build_record};
use crate::services::users::NewUser;

pub const DEMO_PASSWORD: &str = "demo practice password 2026";

pub struct DemoOptions {
    pub clients: usize,
}

impl DemoOptions {
    /// `--clients N` (default 1000).
    pub fn parse(args: &[String]) -> Result<Self, String> {
        let mut clients = 1000;
        let mut rest = args.iter();
        while let Some(arg) = rest.next() {
            match arg.as_str() {
                "--clients" => {
                    clients = rest
                        .next()
                        .and_then(|v| v.parse().ok())
                        .filter(|n| (1..=1_000_000).contains(n))
                        .ok_or("--clients takes a number from 1 to 1000000")?;
                }
                other => {
                    return Err(format!(
                        "unknown argument {other:?}; usage: outcomes demo --clients N"
                    ));
                }
            }
        }
        Ok(Self { clients })
    }
}

/// Roughly normal (sum of uniforms), clamped to a range.
fn bell(rng: &mut impl Rng, mean: f64, spread: f64, low: f64, high: f64) -> f64 {
    let sum: f64 = (0..4).map(|_| rng.random_range(-1.0..1.0)).sum();
    (mean + sum / 2.0 * spread).clamp(low, high)
}

/// Four items (one decimal each) close to `total / 4`; the total is their sum.
fn items_for(rng: &mut impl Rng, total: f64) -> Vec<f64> {
    (0..4)
        .map(|_| ((total / 4.0 + rng.random_range(-0.8..0.8)).clamp(0.0, 10.0) * 10.0).round() / 10.0)
        .collect()
}

/// Bound values per INSERT: under SQLite's 32,766 and PostgreSQL's 65,535, so each statement
/// carries as many rows as the databases take (thousands of ratings rather than 500).
const VALUES_PER_STATEMENT: usize = 30_000;

async fn insert_in_chunks<A>(db: &impl ConnectionTrait, rows: Vec<A>) -> Result<(), sea_orm::DbErr>
where
    A: ActiveModelTrait + Send,
{
    let columns = <<A::Entity as EntityTrait>::Column as Iterable>::iter().count();
    let per_statement = (VALUES_PER_STATEMENT / columns.max(1)).max(1);
    let mut rows = rows.into_iter().peekable();
    while rows.peek().is_some() {
        let chunk: Vec<A> = rows.by_ref().take(per_statement).collect();
        // No RETURNING: PostgreSQL would otherwise send back every new id.
        <A::Entity as EntityTrait>::insert_many(chunk)
            .exec_without_returning(db)
            .await?;
    }
    Ok(())
}

/// Clients whose ratings are made and written together: memory stays flat at any size.
const CLIENT_CHUNK: usize = 5_000;

pub async fn run(db: &DatabaseConnection, options: DemoOptions) -> Result<String, String> {
    let fail = |e: sea_orm::DbErr| e.to_string();
    Migrator::up(db, None).await.map_err(fail)?;
    let started = std::time::Instant::now();
    let now = chrono::Utc::now().timestamp();
    let tag = crate::auth::tokens::random_token::<3>();
    let hasher = Hasher::new();
    let hash = hasher
        .hash(&NewPassword::from_generated(DEMO_PASSWORD.into()))
        .await
        .map_err(|e| e.to_string())?;
    let txn = db.begin().await.map_err(fail)?;
    let practice = account::ActiveModel {
        name: Set(format!("Demo Practice {tag}")),
        plan: Set(Plan::Pro),
        staff_two_factor: Set(false),
        // Every column gets a value, none is left to a database default: on SQLite, an account read
        // back after its insert was seen (rarely) with NULL in this later-added column.
        staff_require_authenticator: Set(false),
        admin_require_passkey: Set(false),
        client_two_factor: Set(false),
        device_days: Set(365),
        idle_minutes: Set(15),
        sms_daily_budget: Set(500),
        active: Set(true),
        created_at: Set(now),
        time_zone: Set("UTC".into()),
        phone_region: Set(None),
        ..Default::default()
    }
    .insert(&txn)
    .await
    .map_err(fail)?;
    let person = |role: Role,
                  login: String,
                  name: String,
                  supervisor: Option<i32>,
                  provider: Option<i32>,
                  age: Option<AgeGroup>| {
        NewUser {
            email: Some(format!("{login}@demo.invalid")),
            supervisor_id: supervisor,
            provider_id: provider,
            age_group: age,
            ..NewUser::staff(practice.id, role, login, name, hash.clone())
        }
        .into_active_model(now)
    };
    let owner_login = format!("demo-owner-{tag}");
    person(
        Role::Owner,
        owner_login.clone(),
        "Demo Owner".into(),
        None,
        None,
        None,
    )
    .insert(&txn)
    .await
    .map_err(fail)?;
    // 100 clients per provider and 10 providers per supervisor up to 10,000 clients; beyond,
    // an agency's 450 providers and 45 supervisors (about 500 staff) share the caseload.
    let providers = (options.clients / 100).clamp(1, 450);
    let supervisors = (providers / 10).max(1);
    let staff_ids = |role: &'static str| {
        let txn = &txn;
        async move {
            user::Entity::find()
                .select_only()
                .column(user::Column::Id)
                .filter(user::Column::AccountId.eq(practice.id))
                .filter(user::Column::Role.eq(role))
                .into_tuple::<i32>()
                .all(txn)
                .await
        }
    };
    insert_in_chunks(
        &txn,
        (0..supervisors)
            .map(|i| {
                person(
                    Role::Supervisor,
                    format!("demo-sup-{tag}-{i}"),
                    format!("Supervisor {i}"),
                    None,
                    None,
                    None,
                )
            })
            .collect(),
    )
    .await
    .map_err(fail)?;
    let supervisor_ids = staff_ids("supervisor").await.map_err(fail)?;
    insert_in_chunks(
        &txn,
        (0..providers)
            .map(|i| {
                let sup = supervisor_ids[i % supervisor_ids.len()];
                person(
                    Role::Provider,
                    format!("demo-pro-{tag}-{i}"),
                    format!("Provider {i}"),
                    Some(sup),
                    None,
                    None,
                )
            })
            .collect(),
    )
    .await
    .map_err(fail)?;
    let provider_ids = staff_ids("provider").await.map_err(fail)?;
    let mut rng = rand::rngs::StdRng::from_os_rng();
    let ages: Vec<AgeGroup> = (0..options.clients)
        .map(|_| match rng.random_range(0..100) {
            0..80 => AgeGroup::Adult,
            80..92 => AgeGroup::Adolescent,
            _ => AgeGroup::Child,
        })
        .collect();
    insert_in_chunks(
        &txn,
        (0..options.clients)
            .map(|i| {
                let provider = provider_ids[i % provider_ids.len()];
                person(
                    Role::Client,
                    format!("demo-c-{tag}-{i}"),
                    format!("Client {i:05}"),
                    None,
                    Some(provider),
                    Some(ages[i]),
                )
            })
            .collect(),
    )
    .await
    .map_err(fail)?;
    let client_ids: Vec<i32> = user::Entity::find()
        .select_only()
        .column(user::Column::Id)
        .filter(user::Column::AccountId.eq(practice.id))
        .filter(user::Column::Role.eq("client"))
        .into_tuple()
        .all(&txn)
        .await
        .map_err(fail)?;
    let mut total_ratings = 0;
    for ids in client_ids.chunks(CLIENT_CHUNK) {
        let clients: Vec<user::Model> = user::Entity::find()
            .filter(user::Column::Id.is_in(ids.to_vec()))
            .all(&txn)
            .await
            .map_err(fail)?;
        let planned: Vec<(user::Model, Vec<rating::Model>)> = clients
            .into_iter()
            .map(|client| {
                let ratings = ratings_for(&mut rng, practice.id, &client, now);
                (client, ratings)
            })
            .collect();
        let settings = OutcomeSettings::default();
        let episodes: Vec<episode::ActiveModel> = planned
            .iter()
            .map(|(client, ratings)| episode_for(&mut rng, &settings, client, ratings, now))
            .collect();
        insert_in_chunks(&txn, episodes).await.map_err(fail)?;
        let episode_of: HashMap<i32, i32> = episode::Entity::find()
            .select_only()
            .column(episode::Column::ClientId)
            .column(episode::Column::Id)
            .filter(episode::Column::ClientId.is_in(ids.to_vec()))
            .into_tuple::<(i32, i32)>()
            .all(&txn)
            .await
            .map_err(fail)?
            .into_iter()
            .collect();
        let rows: Vec<rating::ActiveModel> = planned
            .into_iter()
            .flat_map(|(client, ratings)| {
                let episode_id = episode_of.get(&client.id).copied().unwrap_or_default();
                ratings.into_iter().map(move |mut r| {
                    r.episode_id = episode_id;
                    let mut row: rating::ActiveModel = r.into();
                    row.id = sea_orm::ActiveValue::NotSet;
                    row
                })
            })
            .collect();
        total_ratings += rows.len();
        insert_in_chunks(&txn, rows).await.map_err(fail)?;
    }
    txn.commit().await.map_err(fail)?;
    // PostgreSQL plans from table statistics, and reads an index alone only where its
    // visibility map says a page is all visible: autovacuum sets up both only on its next pass,
    // and a practice written in one go is measured at once (the benches). So do its work now,
    // as after any bulk load. Without statistics it takes every table for a row or two; without
    // the map a page of 50 clients by name fetched every row before it from the table (55 ms
    // at 100,000 clients, against 14 ms).
    if db.get_database_backend() == sea_orm::DbBackend::Postgres {
        db.execute_unprepared("VACUUM ANALYZE").await.map_err(fail)?;
    }
    let seconds = started.elapsed().as_secs_f64();
    Ok(format!(
        "Demo practice \"Demo Practice {tag}\": {} clients, {providers} providers, {supervisors} supervisors, {total_ratings} ratings, written in {seconds:.1} s.\nSign in as {owner_login} (or demo-pro-{tag}-0, demo-sup-{tag}-0) with the password \"{DEMO_PASSWORD}\".",
        options.clients
    ))
}

/// A client's sessions: ORS/CORS (or YCORS) plus SRS/CSRS, weekly, improving on average.
fn ratings_for(rng: &mut impl Rng, account: i32, client: &user::Model, now: i64) -> Vec<rating::Model> {
    let age = age_of(client);
    let outcome = outcome_measure_for(age);
    let alliance = alliance_measure_for(age);
    let sessions = rng.random_range(2..=18);
    let intake = bell(rng, 19.0, 12.0, 2.0, 38.0);
    let gain = rng.random_range(-6.0..14.0);
    // The last session at some second of the past four weeks, as a practice's clients are seen.
    let last = now - rng.random_range(0..28 * 86_400);
    let mut ratings = Vec::new();
    for session in 1..=sessions {
        let expected = intake + gain * (1.0 - (-(f64::from(session) - 1.0) / 3.0).exp());
        let score = (expected + rng.random_range(-3.0..3.0)).clamp(0.0, 40.0);
        let srs = bell(rng, 37.5, 4.0, 20.0, 40.0);
        for (id, total) in [(outcome, score), (alliance, srs)] {
            let items = items_for(rng, total);
            ratings.push(rating::Model {
                id: 0,
                account_id: account,
                client_id: client.id,
                episode_id: 0,
                session,
                measure: id.as_str().to_string(),
                total: measures::measure(id).total(&items),
                items: serde_json::to_string(&items).unwrap_or_default(),
                source: Source::Clinician,
                entered_by: client.provider_id.unwrap_or_default(),
                at: last - i64::from(sessions - session) * 7 * 86_400,
            });
        }
    }
    ratings
}

/// The client's open episode with its summary (flags, triage rank) worked out from the ratings.
fn episode_for(
    rng: &mut impl Rng,
    settings: &OutcomeSettings,
    client: &user::Model,
    ratings: &[rating::Model],
    now: i64,
) -> episode::ActiveModel {
    let blank = episode::Model {
        id: 0,
        account_id: client.account_id,
        client_id: client.id,
        number: 1,
        opened_at: now - 24 * 7 * 86_400,
        closed_at: None,
        outcome_count: 0,
        latest_session: 0,
        intake: None,
        latest_outcome: None,
        target: None,
        latest_alliance: None,
        outcome_flag: Flag::Grey,
        alliance_flag: Flag::Grey,
        included: false,
        reliable_improvement: false,
        reliable_deterioration: false,
        clinically_significant: false,
        effect_size: None,
        last_rated_at: None,
        attention: 5,
        off_track_since: None,
        last_session_at: None,
    };
    let record = build_record(client, settings, blank.clone(), ratings.to_vec());
    let mut row: episode::ActiveModel = blank.into();
    row.id = sea_orm::ActiveValue::NotSet;
    // Off track for anything from days to two months, so triage has an order to show.
    let since = now - rng.random_range(0..60) * 86_400 - rng.random_range(0..86_400);
    apply_summary(&mut row, &record, false, since);
    row
}
