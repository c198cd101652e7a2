//! The paged client lists (SPEC §3.3): the dashboards' worst-first lists and `/clients` with its
//! search, filters and sorts. One statement counts, one reads the page: each client joined to
//! their open episode's summary and to their provider's name, ordered and cut in SQL, so a
//! page costs the same whatever the caseload.

use sea_orm::sea_query::{
    BinOper, Cond, Expr, ExprTrait, Func, IntoTableRef, JoinType, LikeExpr, NullOrdering, Order, Query,
    SelectStatement, UnionType,
};
use sea_orm::{ConnectionTrait, DbBackend, FromQueryResult};

use entities::{episode, user};

use crate::auth::guards::Acting;
use crate::domain::Role;
use crate::domain::triage::Attention;
use crate::error::AppError;

mod counts;
mod filters;
mod keyset;
mod listed;
use counts::count;
pub use counts::{RankCount, counts_by_provider};
pub use filters::{Filters, FlagFilter, Sort, Status};
pub use keyset::{After, worst_first_after};
pub use listed::ListedClient;
use listed::{Stored, select_listed};

/// Rows on one page of every list.
pub const PAGE_ROWS: u64 = 50;

/// Rows a list counts at most (or as far as the page asked for): counting is the one part of a
/// page whose cost grows with the practice, and past this a list says "more than 1000" (a
/// caseload is exact; at 100,000 clients an exact count cost an owner's page 30 ms on SQLite).
pub const COUNT_CAP: u64 = 1_000;

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

/// The client (`c`), the client's open episode (`e`) and provider (`p`).
const C: &str = "c";
const E: &str = "e";
const P: &str = "p";

/// The client's open episode's last session, kept on the client's row by the database
/// (migration 000100) and read only to order lists, so the entity does not carry it.
const LAST_SESSION_AT: &str = "last_session_at";

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
fn caseload(actor: &impl Acting, role_by_index: bool) -> Cond {
    let me = actor.acting_user();
    // `+role` is SQLite's way to keep a term from choosing the index (see `filtered`).
    let role = if role_by_index {
        c(user::Column::Role)
    } else {
        // SQLite only, whose builder fills `?` with the expression.
        Expr::cust_with_expr("+?", c(user::Column::Role))
    };
    let base = Cond::all()
        .add(c(user::Column::AccountId).eq(me.account_id))
        .add(role.eq(Role::Client.as_str()));
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

/// The client's open episode, joined by client only: with the practice in the condition too,
/// SQLite may look each client's episode up through the triage index, which reads the whole
/// practice.
fn open_episode() -> Cond {
    Cond::all()
        .add(e(episode::Column::ClientId).equals((C, user::Column::Id)))
        .add(e(episode::Column::ClosedAt).is_null())
}

/// `%text%` for LIKE (escaped by `\\`), with LIKE's own wildcards in the text taken literally.
fn contains(text: &str) -> String {
    let escaped = text
        .to_lowercase()
        .replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_");
    format!("%{escaped}%")
}

/// `contains(text)` with its escape as literals in the SQL (the query builder quotes them).
fn written_contains(text: &str) -> Expr {
    Expr::Binary(
        Box::new(Expr::Constant(contains(text).into())),
        BinOper::Escape,
        Box::new(Expr::Constant('\\'.into())),
    )
}

/// The whole practice by name or by last session, on SQLite. Without statistics SQLite takes
/// (practice, role) as the way in and sorts every client (100 to 200 ms a page at 100,000
/// clients). With the role term kept off the index, the practice alone leads and
/// `idx_users_last_session` or `idx_users_by_name` gives the order as well (3 to 4 ms).
fn sqlite_whole_practice(actor: &impl Acting, filters: &Filters, backend: DbBackend) -> bool {
    backend == DbBackend::Sqlite
        && filters.sort != Sort::Flag
        && matches!(actor.acting_role(), Role::Owner | Role::Admin)
        && filters.q.as_deref().is_none_or(|q| q.trim().is_empty())
        && filters.provider.is_none()
        && filters.flag.is_none()
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
            query.join_as(JoinType::LeftJoin, episode::Entity, E, open_episode());
        }
    }
    query.cond_where(caseload(actor, !sqlite_whole_practice(actor, filters, backend)));
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
        // PostgreSQL gets the pattern written into the statement, not bound: after five runs
        // of a prepared statement it may keep a generic plan, which cannot tell how few rows a
        // pattern matches and reads every client instead of the trigram indexes (10 ms to
        // 150 ms a search at 100,000 clients).
        let matches = |column: user::Column| -> Expr {
            match backend {
                DbBackend::Sqlite => c(column).like(LikeExpr::new(contains(q)).escape('\\')),
                _ => Func::lower(c(column)).binary(BinOper::Like, written_contains(q)),
            }
        };
        query.cond_where(
            Cond::any()
                .add(matches(user::Column::FullName))
                .add(matches(user::Column::Login)),
        );
        if backend == DbBackend::Sqlite && q.chars().count() >= 3 {
            // The trigram table (migration 000100) finds the few users whose name or user ID
            // holds the text, so a search does not read every client; the LIKE above still
            // decides. Shorter texts match too many users for it to help.
            let phrase = format!("\"{}\"", q.replace('"', "\"\""));
            let holding = Query::select()
                .expr(Expr::cust("rowid"))
                .from("user_search")
                .and_where(Expr::cust_with_values("user_search MATCH ?", [phrase]))
                .to_owned();
            query.and_where(c(user::Column::Id).in_subquery(holding));
        }
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

/// One page (1-based) of the actor's clients narrowed by `filters`.
pub async fn list(
    db: &impl ConnectionTrait,
    actor: &impl Acting,
    filters: &Filters,
    page: u64,
) -> Result<Paged<ListedClient>, AppError> {
    let backend = db.get_database_backend();
    // Any page past the end shows the last one; capping the number keeps the offset of a page
    // asked for (read before the count is known) within what SQL takes.
    let asked = page.clamp(1, u64::from(u32::MAX));
    // Counted up to the cap, or far enough to tell whether the page asked for exists.
    let at_most = Ord::max(COUNT_CAP, asked.saturating_mul(PAGE_ROWS));
    let filtered = filtered(actor, filters, false, backend);
    // The count and the page asked for run side by side on pooled connections; only a page
    // past the end (a stale link) is read again, as the last page.
    let (counted, rows) = tokio::try_join!(
        count(db, &filtered, at_most.saturating_add(1)),
        page_rows(db, actor, filters, (asked - 1).saturating_mul(PAGE_ROWS)),
    )?;
    let exact = counted <= at_most;
    let total = Ord::min(counted, at_most);
    let pages = Ord::max(total.div_ceil(PAGE_ROWS), 1);
    let page = Ord::min(asked, pages);
    let rows = if page == asked {
        rows
    } else {
        page_rows(db, actor, filters, (page - 1) * PAGE_ROWS).await?
    };
    let rows = rows.into_iter().map(ListedClient::from).collect();
    Ok(Paged {
        rows,
        page,
        pages,
        total,
        exact,
    })
}

/// The name columns every list ends its order with.
fn name_columns() -> [user::Column; 4] {
    [
        user::Column::LastName,
        user::Column::FirstName,
        user::Column::FullName,
        user::Column::Id,
    ]
}

/// Orders by name: last name, first name (each with the unnamed last), full name, id. With
/// `nulls_as_terms`, "unnamed last" is written `name IS NULL, name`, the form
/// `idx_users_by_name` holds on SQLite (whose index puts NULL first and cannot give `NULLS
/// LAST`).
fn by_name(query: &mut SelectStatement, [last, first, full, id]: [Expr; 4], nulls_as_terms: bool) {
    for name in [last, first] {
        if nulls_as_terms {
            query
                .order_by_expr(name.clone().is_null(), Order::Asc)
                .order_by_expr(name, Order::Asc);
        } else {
            query.order_by_expr_with_nulls(name, Order::Asc, NullOrdering::Last);
        }
    }
    query
        .order_by_expr(full, Order::Asc)
        .order_by_expr(id, Order::Asc);
}

/// The page of `filtered` starting `offset` rows in, in the list's order.
async fn page_rows(
    db: &impl ConnectionTrait,
    actor: &impl Acting,
    filters: &Filters,
    offset: u64,
) -> Result<Vec<Stored>, AppError> {
    let backend = db.get_database_backend();
    let mut rows = if filters.sort != Sort::Flag && !by_triage_index(actor, filters) {
        // The page's clients first, from the clients alone (`idx_users_last_session` and
        // `idx_users_by_name` hold the orders, so a deep page walks an index, not every client
        // with their episode), then those 50 joined to what the page shows.
        let mut page = filtered(actor, filters, false, backend);
        page.expr(c(user::Column::Id));
        order(&mut page, actor, filters, backend);
        page.limit(PAGE_ROWS).offset(offset);
        let mut rows = Query::select();
        rows.from_as(user::Entity, C)
            .join_as(JoinType::LeftJoin, episode::Entity, E, open_episode())
            .and_where(c(user::Column::Id).in_subquery(page));
        rows
    } else {
        let mut rows = filtered(actor, filters, true, backend);
        rows.limit(PAGE_ROWS).offset(offset);
        rows
    };
    select_listed(&mut rows);
    order(&mut rows, actor, filters, backend);
    let statement = backend.build(&rows);
    Ok(Stored::find_by_statement(statement).all(db).await?)
}

/// Orders a list as `filters.sort` asks, then by name.
fn order(rows: &mut SelectStatement, actor: &impl Acting, filters: &Filters, backend: DbBackend) {
    match filters.sort {
        Sort::Name => {}
        Sort::LastSession => {
            // The client's copy of their open episode's last session (migration 000100).
            let last_session = Expr::col((C, LAST_SESSION_AT));
            rows.order_by_expr_with_nulls(last_session, Order::Desc, NullOrdering::Last);
        }
        Sort::Flag => {
            // `off_track_since` is set exactly when the rank needs attention
            // (`Attention::off_track_since`), so within one rank it is never mixed with NULL
            // and needs no NULLS LAST: the order matches the triage index.
            rows.order_by_expr(rank_for(actor, filters), Order::Asc)
                .order_by_expr(e(episode::Column::OffTrackSince), Order::Asc);
        }
    }
    // Only the whole-practice list by name is written for SQLite's index: written so, other
    // lists would have SQLite walk the whole practice by name for one provider's clients too.
    let nulls_as_terms = filters.sort == Sort::Name && sqlite_whole_practice(actor, filters, backend);
    by_name(rows, name_columns().map(c), nulls_as_terms);
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
