//! The paged client lists (SPEC §3.3): the dashboards' worst-first lists and `/clients` with its
//! search, filters and sorts. One statement counts, one reads the page: each client joined to
//! their open episode's summary and to their provider's name, ordered and cut in SQL, so a
//! page costs the same whatever the caseload.

use sea_orm::sea_query::{
    Cond, Expr, ExprTrait, Func, IntoTableRef, JoinType, LikeExpr, NullOrdering, Order, Query,
    SelectStatement, UnionType,
};
use sea_orm::{ConnectionTrait, DbBackend, FromQueryResult};

use entities::{episode, user};

use crate::auth::guards::Acting;
use crate::domain::scoring::Flag;
use crate::domain::triage::Attention;
use crate::domain::{AgeGroup, Role};
use crate::error::AppError;

mod counts;
mod filters;
mod keyset;
use counts::count;
pub use counts::{RankCount, counts_by_provider};
pub use filters::{Filters, FlagFilter, Sort, Status};
pub use keyset::{After, worst_first_after};

/// Rows on one page of every list.
pub const PAGE_ROWS: u64 = 50;

/// Rows a list counts at most (or as far as the page asked for): counting is the one part of a
/// page whose cost grows with the practice, and past this a list says "more than 1000" (a
/// caseload is exact; at 100,000 clients an exact count cost an owner's page 30 ms on SQLite).
pub const COUNT_CAP: u64 = 1_000;

/// One client as the lists show them.
#[derive(Debug, Clone)]
pub struct ListedClient {
    pub id: i32,
    pub full_name: String,
    pub login: String,
    pub active: bool,
    pub age_group: Option<AgeGroup>,
    pub provider_id: Option<i32>,
    pub provider_name: Option<String>,
    pub sessions: i32,
    pub intake: Option<f64>,
    pub latest: Option<f64>,
    pub outcome_flag: Flag,
    pub alliance_flag: Flag,
    pub attention: Attention,
    pub off_track_since: Option<i64>,
    pub last_session_at: Option<i64>,
}

impl ListedClient {
    /// Latest minus intake, to one decimal.
    pub fn change(&self) -> Option<f64> {
        self.intake
            .zip(self.latest)
            .map(|(i, l)| ((l - i) * 10.0).round() / 10.0)
    }
}

/// One page of a list, with where it sits among all pages.
#[derive(Debug)]
pub struct Paged<T> {
    pub rows: Vec<T>,
    /// 1-based; past the end it is the last page.
    pub page: u64,
    /// The pages counted; more follow when `exact` is false.
    pub pages: u64,
    /// The rows counted: all of them when `exact`, otherwise there are more.
    pub total: u64,
    pub exact: bool,
}

#[derive(FromQueryResult)]
struct Stored {
    id: i32,
    full_name: String,
    login: String,
    active: bool,
    age_group: Option<AgeGroup>,
    provider_id: Option<i32>,
    provider_name: Option<String>,
    latest_session: Option<i32>,
    intake: Option<f64>,
    latest_outcome: Option<f64>,
    outcome_flag: Option<Flag>,
    alliance_flag: Option<Flag>,
    attention: Option<i32>,
    off_track_since: Option<i64>,
    last_session_at: Option<i64>,
}

impl From<Stored> for ListedClient {
    fn from(s: Stored) -> Self {
        Self {
            id: s.id,
            full_name: s.full_name,
            login: s.login,
            active: s.active,
            age_group: s.age_group,
            provider_id: s.provider_id,
            provider_name: s.provider_name,
            sessions: s.latest_session.unwrap_or(0),
            intake: s.intake,
            latest: s.latest_outcome,
            outcome_flag: s.outcome_flag.unwrap_or(Flag::Grey),
            alliance_flag: s.alliance_flag.unwrap_or(Flag::Grey),
            attention: s.attention.map_or(Attention::NoFlag, Attention::from_rank),
            off_track_since: s.off_track_since,
            last_session_at: s.last_session_at,
        }
    }
}

/// The client (`c`), the client's open episode (`e`) and provider (`p`).
const C: &str = "c";
const E: &str = "e";
const P: &str = "p";

fn c(column: user::Column) -> Expr {
    Expr::col((C, column))
}

fn e(column: episode::Column) -> Expr {
    Expr::col((E, column))
}

/// A client without an open episode has no flag yet. The default is written into the SQL, not
/// bound: PostgreSQL must see the GROUP BY expression as the very one selected, and two
/// bound parameters are two different expressions to it.
fn rank() -> Expr {
    let no_flag = Expr::cust(Attention::NoFlag.rank().to_string());
    Func::coalesce([e(episode::Column::Attention), no_flag]).into()
}

/// The rank as a list reads it: the bare column when it is read through the triage index,
/// otherwise with the default for clients without an open episode.
fn rank_for(actor: &impl Acting, filters: &Filters) -> Expr {
    if by_triage_index(actor, filters) {
        e(episode::Column::Attention)
    } else {
        rank()
    }
}

/// Whether a list is read through the practice's triage index (episodes by practice, open,
/// rank, off track since) rather than through the clients: for the whole practice (owners and
/// admins) narrowed to a flag that only an open episode has. Only those clients match, so the
/// episodes are read first, in triage order, and a page stops after its rows. A caseload
/// (providers, supervisors) is smaller and read through the provider index instead: there the
/// triage index would walk every client of the practice.
fn by_triage_index(actor: &impl Acting, filters: &Filters) -> bool {
    matches!(actor.acting_role(), Role::Owner | Role::Admin)
        && filters.flag.is_some_and(|flag| flag != FlagFilter::Grey)
}

/// The clients of the actor's caseload (SPEC §1): provider — their own; supervisor — their
/// own and their providers'; owner and admin — the whole account. A subquery rather than a
/// list read first, so the statement count stays fixed.
fn caseload(actor: &impl Acting) -> Cond {
    let me = actor.acting_user();
    let base = Cond::all()
        .add(c(user::Column::AccountId).eq(me.account_id))
        .add(c(user::Column::Role).eq(Role::Client.as_str()));
    match actor.acting_role() {
        Role::Owner | Role::Admin => base,
        Role::Supervisor => {
            // The supervisor and their providers as one IN list (`SELECT me UNION ALL SELECT
            // their providers`), not "= me OR IN (...)": over one IN the databases walk the
            // (practice, provider) index once per provider instead of reading every client.
            let providers = Query::select()
                .column((user::Entity, user::Column::Id))
                .from(user::Entity)
                .and_where(Expr::col((user::Entity, user::Column::AccountId)).eq(me.account_id))
                .and_where(Expr::col((user::Entity, user::Column::SupervisorId)).eq(me.id))
                .to_owned();
            let team = Query::select()
                .expr(Expr::val(me.id))
                .union(UnionType::All, providers)
                .to_owned();
            base.add(c(user::Column::ProviderId).in_subquery(team))
        }
        Role::Provider => base.add(c(user::Column::ProviderId).eq(me.id)),
        Role::Client => base.add(c(user::Column::Id).eq(-1)),
    }
}

/// `%text%` for LIKE, with LIKE's own wildcards in the text taken literally.
fn contains(text: &str) -> LikeExpr {
    let escaped = text
        .to_lowercase()
        .replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_");
    LikeExpr::new(format!("%{escaped}%")).escape('\\')
}

/// The actor's clients narrowed by `filters`. The open episode is joined when `with_episode`
/// (a page shows its summary) or when a flag filter needs it, so a count without a flag filter
/// reads the clients alone; see `by_triage_index` for when the episodes come first.
fn filtered(
    actor: &impl Acting,
    filters: &Filters,
    with_episode: bool,
    backend: DbBackend,
) -> SelectStatement {
    let mut query = Query::select();
    if by_triage_index(actor, filters) {
        // FROM episodes CROSS JOIN users: SQLite takes the tables in this order (the open
        // episodes in triage order first, then each one's client by primary key); PostgreSQL
        // reads it as an inner join and plans it freely.
        query
            .from_as(episode::Entity, E)
            .cross_join(user::Entity.into_table_ref().alias(C))
            .and_where(e(episode::Column::ClientId).equals((C, user::Column::Id)))
            .and_where(e(episode::Column::AccountId).eq(actor.acting_user().account_id))
            .and_where(e(episode::Column::ClosedAt).is_null());
    } else {
        query.from_as(user::Entity, C);
        if with_episode || filters.flag.is_some() {
            // By client only: with the practice in the condition too, SQLite may look each
            // client's episode up through the triage index, which reads the whole practice.
            query.join_as(
                JoinType::LeftJoin,
                episode::Entity,
                E,
                Cond::all()
                    .add(e(episode::Column::ClientId).equals((C, user::Column::Id)))
                    .add(e(episode::Column::ClosedAt).is_null()),
            );
        }
    }
    query.cond_where(caseload(actor));
    match filters.status {
        Status::Active => {
            query.and_where(c(user::Column::Active).eq(true));
        }
        Status::Inactive => {
            query.and_where(c(user::Column::Active).eq(false));
        }
        Status::All => {}
    }
    if let Some(q) = filters.q.as_deref().map(str::trim).filter(|q| !q.is_empty()) {
        // SQLite's LIKE already ignores ASCII case (and its lower() folds no other letters),
        // so it compares the columns as stored: half the work of a search over a practice.
        let folded = |column: user::Column| match backend {
            DbBackend::Sqlite => c(column),
            _ => Func::lower(c(column)).into(),
        };
        query.cond_where(
            Cond::any()
                .add(folded(user::Column::FullName).like(contains(q)))
                .add(folded(user::Column::Login).like(contains(q))),
        );
    }
    if let Some(provider) = filters.provider {
        query.and_where(c(user::Column::ProviderId).eq(provider));
    }
    if let Some(flag) = filters.flag {
        let rank = rank_for(actor, filters);
        query.and_where(match flag {
            FlagFilter::Attention => rank.lte(Attention::NEEDS_ATTENTION),
            FlagFilter::Alert => rank.eq(Attention::SafetyAlert.rank()),
            FlagFilter::Red => rank.between(Attention::RedOutcome.rank(), Attention::RedAlliance.rank()),
            FlagFilter::Amber => rank.eq(Attention::Amber.rank()),
            FlagFilter::Green => rank.eq(Attention::Green.rank()),
            FlagFilter::Grey => rank.eq(Attention::NoFlag.rank()),
        });
    }
    query
}

/// The columns a `ListedClient` is read from.
fn select_listed(rows: &mut SelectStatement) {
    rows.join_as(
        JoinType::LeftJoin,
        user::Entity,
        P,
        Expr::col((P, user::Column::Id)).equals((C, user::Column::ProviderId)),
    );
    rows.expr_as(c(user::Column::Id), "id")
        .expr_as(c(user::Column::FullName), "full_name")
        .expr_as(c(user::Column::Login), "login")
        .expr_as(c(user::Column::Active), "active")
        .expr_as(c(user::Column::AgeGroup), "age_group")
        .expr_as(c(user::Column::ProviderId), "provider_id")
        .expr_as(Expr::col((P, user::Column::FullName)), "provider_name")
        .expr_as(e(episode::Column::LatestSession), "latest_session")
        .expr_as(e(episode::Column::Intake), "intake")
        .expr_as(e(episode::Column::LatestOutcome), "latest_outcome")
        .expr_as(e(episode::Column::OutcomeFlag), "outcome_flag")
        .expr_as(e(episode::Column::AllianceFlag), "alliance_flag")
        .expr_as(e(episode::Column::Attention), "attention")
        .expr_as(e(episode::Column::OffTrackSince), "off_track_since")
        .expr_as(e(episode::Column::LastSessionAt), "last_session_at");
}

/// One page (1-based) of the actor's clients narrowed by `filters`.
pub async fn list(
    db: &impl ConnectionTrait,
    actor: &impl Acting,
    filters: &Filters,
    page: u64,
) -> Result<Paged<ListedClient>, AppError> {
    let backend = db.get_database_backend();
    // Counted up to the cap, or far enough to tell whether the page asked for exists.
    let at_most = Ord::max(COUNT_CAP, page.saturating_mul(PAGE_ROWS));
    let counted = count(
        db,
        &filtered(actor, filters, false, backend),
        at_most.saturating_add(1),
    )
    .await?;
    let exact = counted <= at_most;
    let total = Ord::min(counted, at_most);
    let pages = Ord::max(total.div_ceil(PAGE_ROWS), 1);
    let page = page.clamp(1, pages);
    let mut rows = filtered(actor, filters, true, backend);
    select_listed(&mut rows);
    match filters.sort {
        Sort::Name => {}
        Sort::LastSession => {
            rows.order_by_expr_with_nulls(e(episode::Column::LastSessionAt), Order::Desc, NullOrdering::Last);
        }
        Sort::Flag => {
            // `off_track_since` is set exactly when the rank needs attention
            // (`Attention::off_track_since`), so within one rank it is never mixed with NULL
            // and needs no NULLS LAST: the order matches the triage index.
            rows.order_by_expr(rank_for(actor, filters), Order::Asc)
                .order_by_expr(e(episode::Column::OffTrackSince), Order::Asc);
        }
    }
    rows.order_by_expr_with_nulls(c(user::Column::LastName), Order::Asc, NullOrdering::Last)
        .order_by_expr_with_nulls(c(user::Column::FirstName), Order::Asc, NullOrdering::Last)
        .order_by_expr(c(user::Column::FullName), Order::Asc)
        .order_by_expr(c(user::Column::Id), Order::Asc)
        .limit(PAGE_ROWS)
        .offset((page - 1) * PAGE_ROWS);
    let statement = db.get_database_backend().build(&rows);
    let rows = Stored::find_by_statement(statement)
        .all(db)
        .await?
        .into_iter()
        .map(ListedClient::from)
        .collect();
    Ok(Paged {
        rows,
        page,
        pages,
        total,
        exact,
    })
}

/// The dashboards' list: active clients needing attention (or, with `everyone`, the whole
/// active caseload), worst first.
pub async fn worst_first(
    db: &impl ConnectionTrait,
    actor: &impl Acting,
    everyone: bool,
    page: u64,
) -> Result<Paged<ListedClient>, AppError> {
    let filters = Filters {
        flag: (!everyone).then_some(FlagFilter::Attention),
        sort: Sort::Flag,
        ..Filters::default()
    };
    list(db, actor, &filters, page).await
}
