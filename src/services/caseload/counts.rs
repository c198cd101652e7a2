//! Counting a list: how many rows it has (up to a cap), and a supervisor's clients per provider
//! and triage rank. Each is one statement.

use sea_orm::sea_query::{Expr, Func, Query, SelectStatement};
use sea_orm::{ConnectionTrait, FromQueryResult};

use entities::user;

use crate::auth::guards::Acting;
use crate::error::AppError;

use super::{Filters, c, filtered, rank};

#[derive(FromQueryResult)]
struct Count {
    n: i64,
}

/// The rows `query` finds, counting no further than `at_most`.
pub(super) async fn count(
    db: &impl ConnectionTrait,
    query: &SelectStatement,
    at_most: u64,
) -> Result<u64, AppError> {
    let mut found = query.clone();
    found.expr(Expr::cust("1")).limit(at_most);
    let counting = Query::select()
        .expr_as(Func::count(Expr::col(sea_orm::sea_query::Asterisk)), "n")
        .from_subquery(found, "found")
        .to_owned();
    let statement = db.get_database_backend().build(&counting);
    let found = Count::find_by_statement(statement).one(db).await?;
    Ok(found.map_or(0, |c| u64::try_from(c.n).unwrap_or(0)))
}

/// How many active clients of the caseload each provider has at each triage rank.
#[derive(Debug, Clone, FromQueryResult)]
pub struct RankCount {
    pub provider_id: Option<i32>,
    pub rank: i32,
    pub n: i64,
}

/// Counts per provider and rank, in one statement.
pub async fn counts_by_provider(
    db: &impl ConnectionTrait,
    actor: &impl Acting,
) -> Result<Vec<RankCount>, AppError> {
    let mut query = filtered(actor, &Filters::default(), true, db.get_database_backend());
    query
        .expr_as(c(user::Column::ProviderId), "provider_id")
        .expr_as(rank(), "rank")
        .expr_as(Func::count(Expr::col(sea_orm::sea_query::Asterisk)), "n")
        .add_group_by([c(user::Column::ProviderId), rank()]);
    let statement = db.get_database_backend().build(&query);
    Ok(RankCount::find_by_statement(statement).all(db).await?)
}
