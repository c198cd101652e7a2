//! Dashboards: one page of a worst-first list per role (`caseload` pages it in SQL), a
//! supervisor's line per provider, and the account-wide figures. Each page runs a fixed number
//! of statements whatever the caseload size, reading the episode summaries.

use std::collections::{BTreeMap, HashSet};

use sea_orm::sea_query::{Expr, ExprTrait, Func, Query};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, FromQueryResult, PaginatorTrait,
    QueryFilter, QuerySelect,
};
use serde::Serialize;

use entities::{episode, safety_alert, user};

use crate::auth::StaffUser;
use crate::auth::guards::Acting;
use crate::domain::scoring::Flag;
use crate::domain::triage::Attention;
use crate::domain::{AgeGroup, Role};
use crate::error::AppError;
use crate::services::caseload::{self, ListedClient, Paged};

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct CaseloadRow {
    pub id: i32,
    pub full_name: String,
    pub provider_id: Option<i32>,
    #[schema(value_type = Option<crate::domain::schema::AgeGroupSchema>)]
    pub age_group: Option<AgeGroup>,
    pub sessions: i32,
    pub intake: Option<f64>,
    pub latest: Option<f64>,
    pub change: Option<f64>,
    #[schema(value_type = crate::domain::schema::FlagSchema)]
    pub outcome_flag: Flag,
    #[schema(value_type = crate::domain::schema::FlagSchema)]
    pub alliance_flag: Flag,
    pub safety_alert: bool,
    /// The same numbers as people read them: one decimal, a sign on the change.
    pub display: CaseloadDisplay,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct CaseloadDisplay {
    pub intake: String,
    pub latest: String,
    pub change: String,
}

/// What a staff member's dashboard shows, by role: always one page of a worst-first list.
pub enum Dashboard {
    /// Owners and admins: the clients needing attention across the practice, and the
    /// account-wide figures.
    Account {
        attention: Paged<ListedClient>,
        figures: AccountFigures,
    },
    /// Supervisors: a line per provider, and the clients needing attention among them.
    Supervisor {
        providers: Vec<ProviderSummary>,
        attention: Paged<ListedClient>,
    },
    /// Providers: their whole active caseload, worst first.
    Provider(Paged<ListedClient>),
}

/// One provider's active clients by triage rank (a supervisor's overview).
#[derive(Debug, Clone, Default, Serialize)]
pub struct ProviderSummary {
    /// `None`: clients without a provider.
    pub id: Option<i32>,
    pub name: String,
    pub total: i64,
    pub alert: i64,
    pub red: i64,
    pub amber: i64,
    pub green: i64,
    pub grey: i64,
}

/// The actor's dashboard at `page` (1-based) of its list.
pub async fn for_staff(
    db: &impl ConnectionTrait,
    actor: &StaffUser,
    page: u64,
) -> Result<Dashboard, AppError> {
    // The parts are independent reads, so they run side by side on pooled connections: at a
    // large practice the page then waits for its slowest part, not for their sum.
    Ok(match actor.role() {
        Role::Owner | Role::Admin => {
            let (attention, figures) = tokio::try_join!(
                caseload::worst_first(db, actor, false, page),
                account_figures(db, actor.account.id),
            )?;
            Dashboard::Account { attention, figures }
        }
        Role::Supervisor => {
            let (providers, attention) = tokio::try_join!(
                provider_summaries(db, actor),
                caseload::worst_first(db, actor, false, page),
            )?;
            Dashboard::Supervisor { providers, attention }
        }
        _ => Dashboard::Provider(caseload::worst_first(db, actor, true, page).await?),
    })
}

/// A supervisor's providers (themselves included when they have clients), each with their
/// active clients counted by rank: two statements whatever the caseload.
async fn provider_summaries(
    db: &impl ConnectionTrait,
    actor: &StaffUser,
) -> Result<Vec<ProviderSummary>, AppError> {
    let counts = caseload::counts_by_provider(db, actor).await?;
    let names: BTreeMap<i32, String> = user::Entity::find()
        .filter(user::Column::AccountId.eq(actor.account.id))
        .filter(
            sea_orm::Condition::any()
                .add(user::Column::SupervisorId.eq(actor.user.id))
                .add(user::Column::Id.eq(actor.user.id)),
        )
        .filter(user::Column::Role.is_in(Role::STAFF))
        .all(db)
        .await?
        .into_iter()
        .map(|u| (u.id, u.full_name))
        .collect();
    let mut by_provider: BTreeMap<Option<i32>, ProviderSummary> = BTreeMap::new();
    for (id, name) in &names {
        if *id != actor.user.id {
            by_provider.insert(
                Some(*id),
                ProviderSummary {
                    id: Some(*id),
                    name: name.clone(),
                    ..ProviderSummary::default()
                },
            );
        }
    }
    for count in counts {
        let line = by_provider
            .entry(count.provider_id)
            .or_insert_with(|| ProviderSummary {
                id: count.provider_id,
                name: count
                    .provider_id
                    .and_then(|id| names.get(&id).cloned())
                    .unwrap_or_else(|| "Unassigned".into()),
                ..ProviderSummary::default()
            });
        line.total += count.n;
        match Attention::from_rank(count.rank) {
            Attention::SafetyAlert => line.alert += count.n,
            Attention::RedOutcome | Attention::RedAlliance => line.red += count.n,
            Attention::Amber => line.amber += count.n,
            Attention::Green => line.green += count.n,
            Attention::NoFlag => line.grey += count.n,
        }
    }
    let mut lines: Vec<ProviderSummary> = by_provider.into_values().collect();
    lines.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(lines)
}

/// Clients per batch of the API's caseload: a few hundred kilobytes of JSON at most.
const CASELOAD_BATCH: u64 = 1_000;

/// The actor's whole active caseload with each client's latest score, change and flags, worst
/// first (triage rank: safety alert, red outcome, red alliance, amber, green, no flag; then by
/// name): the JSON API's caseload, handed out a batch at a time so that a caseload of any size
/// is sent in flat memory. It reads only when asked, so dropping it stops the reading.
pub struct CaseloadStream {
    db: DatabaseConnection,
    actor: ActingAs,
    after: Option<caseload::After>,
    done: bool,
}

/// The acting person, kept for the later batches.
struct ActingAs(user::Model);

impl Acting for ActingAs {
    fn acting_user(&self) -> &user::Model {
        &self.0
    }
}

pub fn caseload(db: &DatabaseConnection, actor: &impl Acting) -> CaseloadStream {
    CaseloadStream {
        db: db.clone(),
        actor: ActingAs(actor.acting_user().clone()),
        after: None,
        done: false,
    }
}

impl CaseloadStream {
    /// The next batch (two statements); `None` after the last.
    pub async fn next_batch(&mut self) -> Result<Option<Vec<CaseloadRow>>, AppError> {
        if self.done {
            return Ok(None);
        }
        let (people, after) =
            caseload::worst_first_after(&self.db, &self.actor, self.after.as_ref(), CASELOAD_BATCH).await?;
        self.done = (people.len() as u64) < CASELOAD_BATCH;
        self.after = after;
        if people.is_empty() {
            return Ok(None);
        }
        rows_for(&self.db, people).await.map(Some)
    }
}

/// Caseload rows for these clients (their open episode's summary, read with them) and whether
/// each has an open safety alert (one statement).
async fn rows_for(
    db: &impl ConnectionTrait,
    people: Vec<ListedClient>,
) -> Result<Vec<CaseloadRow>, AppError> {
    let ids: Vec<i32> = people.iter().map(|c| c.id).collect();
    let alerts: HashSet<i32> = safety_alert::Entity::find()
        .select_only()
        .column(safety_alert::Column::ClientId)
        .filter(safety_alert::Column::ClientId.is_in(ids))
        .filter(safety_alert::Column::AcknowledgedAt.is_null())
        .into_tuple::<i32>()
        .all(db)
        .await?
        .into_iter()
        .collect();
    Ok(people
        .into_iter()
        .map(|c| {
            let change = c.change();
            CaseloadRow {
                id: c.id,
                provider_id: c.provider_id,
                age_group: c.age_group,
                sessions: c.sessions,
                intake: c.intake,
                latest: c.latest,
                change,
                display: CaseloadDisplay {
                    intake: c.intake.map(|v| format!("{v:.1}")).unwrap_or_default(),
                    latest: c.latest.map(|v| format!("{v:.1}")).unwrap_or_default(),
                    change: c
                        .intake
                        .zip(c.latest)
                        .map(|(i, l)| format!("{:+.1}", l - i))
                        .unwrap_or_default(),
                },
                outcome_flag: c.outcome_flag,
                alliance_flag: c.alliance_flag,
                safety_alert: alerts.contains(&c.id),
                full_name: c.full_name,
            }
        })
        .collect())
}

/// Account-wide figures (owner, admin) over the episode summaries.
#[derive(Debug, Default, Serialize)]
pub struct AccountFigures {
    pub active_clients: u64,
    pub episodes_in_statistics: u64,
    pub average_intake: Option<f64>,
    pub average_change: Option<f64>,
    pub effect_size: Option<f64>,
    pub on_track_percent: Option<f64>,
    pub reliable_improvement_percent: Option<f64>,
    pub reliable_deterioration_percent: Option<f64>,
    pub clinically_significant_percent: Option<f64>,
    pub open_safety_alerts: u64,
}

/// The included open episodes' aggregates, read in one statement.
#[derive(Debug, FromQueryResult)]
struct EpisodeTotals {
    included: i64,
    average_intake: Option<f64>,
    average_change: Option<f64>,
    effect_size: Option<f64>,
    flagged: i64,
    green: i64,
    improved: i64,
    deteriorated: i64,
    significant: i64,
}

/// `COUNT(CASE WHEN condition THEN 1 END)`: how many rows meet `condition` (0 for none).
fn count_where(condition: sea_orm::sea_query::SimpleExpr) -> Expr {
    Func::count(Expr::case(condition, Expr::cust("1"))).into()
}

/// Account-wide figures from SQL aggregates over the open episodes' summaries: three statements
/// (the episodes' figures in one pass, active clients and open alerts over their indexes), and
/// no rows brought back, whatever the size of the practice.
pub async fn account_figures(db: &impl ConnectionTrait, account_id: i32) -> Result<AccountFigures, AppError> {
    let active_clients = user::Entity::find()
        .filter(user::Column::AccountId.eq(account_id))
        .filter(user::Column::Role.eq(Role::Client))
        .filter(user::Column::Active.eq(true))
        .count(db);
    let col = |column: episode::Column| Expr::col((episode::Entity, column));
    let mut totals = Query::select();
    totals
        .from(episode::Entity)
        .and_where(col(episode::Column::AccountId).eq(account_id))
        .and_where(col(episode::Column::ClosedAt).is_null())
        .and_where(col(episode::Column::Included).eq(true))
        .expr_as(Func::count(Expr::cust("*")), "included")
        .expr_as(Func::avg(col(episode::Column::Intake)), "average_intake")
        .expr_as(
            Func::avg(col(episode::Column::LatestOutcome).sub(col(episode::Column::Intake))),
            "average_change",
        )
        .expr_as(Func::avg(col(episode::Column::EffectSize)), "effect_size")
        .expr_as(
            count_where(col(episode::Column::OutcomeFlag).ne(Flag::Grey.as_str())),
            "flagged",
        )
        .expr_as(
            count_where(col(episode::Column::OutcomeFlag).eq(Flag::Green.as_str())),
            "green",
        )
        .expr_as(
            count_where(col(episode::Column::ReliableImprovement).eq(true)),
            "improved",
        )
        .expr_as(
            count_where(col(episode::Column::ReliableDeterioration).eq(true)),
            "deteriorated",
        )
        .expr_as(
            count_where(col(episode::Column::ClinicallySignificant).eq(true)),
            "significant",
        );
    let statement = db.get_database_backend().build(&totals);
    let totals = EpisodeTotals::find_by_statement(statement).one(db);
    let open_safety_alerts = safety_alert::Entity::find()
        .filter(safety_alert::Column::AccountId.eq(account_id))
        .filter(safety_alert::Column::AcknowledgedAt.is_null())
        .count(db);
    // Each is a scan of the practice's clients or episodes: side by side, as in `for_staff`.
    let (active_clients, totals, open_safety_alerts) =
        tokio::try_join!(active_clients, totals, open_safety_alerts)?;
    let totals = totals.ok_or_else(|| AppError::Internal("an aggregate without a row".into()))?;
    let count = |n: i64| u64::try_from(n).unwrap_or(0);
    let in_statistics = count(totals.included);
    let percent =
        |part: i64, whole: u64| (whole > 0).then(|| round1(100.0 * count(part) as f64 / whole as f64));
    Ok(AccountFigures {
        active_clients,
        episodes_in_statistics: in_statistics,
        average_intake: totals.average_intake.map(round1),
        average_change: totals.average_change.map(round1),
        effect_size: totals.effect_size.map(|v| (v * 100.0).round() / 100.0),
        on_track_percent: percent(totals.green, count(totals.flagged)),
        reliable_improvement_percent: percent(totals.improved, in_statistics),
        reliable_deterioration_percent: percent(totals.deteriorated, in_statistics),
        clinically_significant_percent: percent(totals.significant, in_statistics),
        open_safety_alerts,
    })
}

fn round1(value: f64) -> f64 {
    (value * 10.0).round() / 10.0
}
