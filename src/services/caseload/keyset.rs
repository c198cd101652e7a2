//! The whole active caseload read in batches by keyset, worst first: ordered by (triage rank,
//! name, id), each batch starting after the last row handed out, so a caseload of any size is
//! read in flat memory and no row is skipped or repeated across batches (the API's caseload).

use sea_orm::sea_query::{Cond, ExprTrait, Order};
use sea_orm::{ConnectionTrait, FromQueryResult};

use entities::user;

use crate::auth::guards::Acting;
use crate::error::AppError;

use super::{Filters, ListedClient, Stored, c, filtered, rank, select_listed};

/// Where the previous batch ended: its last row's rank, name and id.
#[derive(Debug, Clone)]
pub struct After {
    rank: i32,
    name: String,
    id: i32,
}

impl After {
    fn of(client: &ListedClient) -> Self {
        Self {
            rank: client.attention.rank(),
            name: client.full_name.clone(),
            id: client.id,
        }
    }
}

/// Up to `limit` active clients of the actor's caseload after `after`, worst first (then by
/// name and id), and where the next batch starts. One statement.
pub async fn worst_first_after(
    db: &impl ConnectionTrait,
    actor: &impl Acting,
    after: Option<&After>,
    limit: u64,
) -> Result<(Vec<ListedClient>, Option<After>), AppError> {
    let mut query = filtered(actor, &Filters::default(), true, db.get_database_backend());
    if let Some(after) = after {
        let name = c(user::Column::FullName);
        let id = c(user::Column::Id);
        query.cond_where(
            Cond::any().add(rank().gt(after.rank)).add(
                Cond::all().add(rank().eq(after.rank)).add(
                    Cond::any()
                        .add(name.clone().gt(after.name.as_str()))
                        .add(Cond::all().add(name.eq(after.name.as_str())).add(id.gt(after.id))),
                ),
            ),
        );
    }
    select_listed(&mut query);
    query
        .order_by_expr(rank(), Order::Asc)
        .order_by_expr(c(user::Column::FullName), Order::Asc)
        .order_by_expr(c(user::Column::Id), Order::Asc)
        .limit(limit);
    let statement = db.get_database_backend().build(&query);
    let rows: Vec<ListedClient> = Stored::find_by_statement(statement)
        .all(db)
        .await?
        .into_iter()
        .map(ListedClient::from)
        .collect();
    let next = rows.last().map(After::of);
    Ok((rows, next))
}
