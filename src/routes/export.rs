//! `/export.csv`: every rating in the account, for owners and admins.

use std::collections::HashMap;

use rocket::http::Header;
use rocket::{Route, State, get, routes};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};

use entities::{episode, rating, user};

use crate::auth::{ManagerUser, RequestMeta};
use crate::domain::AgeGroup;
use crate::domain::measures::{self, MeasureId};
use crate::error::AppError;
use crate::services::audit::{self, Event};
use crate::state::AppState;

#[derive(rocket::Responder)]
#[response(content_type = "text/csv")]
struct CsvFile {
    body: String,
    disposition: Header<'static>,
}

#[get("/export.csv")]
async fn export(state: &State<AppState>, actor: ManagerUser, meta: RequestMeta) -> Result<CsvFile, AppError> {
    let account = actor.account.id;
    let clients: HashMap<i32, user::Model> = user::Entity::find()
        .filter(user::Column::AccountId.eq(account))
        .filter(user::Column::Role.eq("client"))
        .all(&state.db)
        .await?
        .into_iter()
        .map(|u| (u.id, u))
        .collect();
    let episodes: HashMap<i32, i32> = episode::Entity::find()
        .filter(episode::Column::AccountId.eq(account))
        .all(&state.db)
        .await?
        .into_iter()
        .map(|e| (e.id, e.number))
        .collect();
    let ratings = rating::Entity::find()
        .filter(rating::Column::AccountId.eq(account))
        .order_by_asc(rating::Column::ClientId)
        .order_by_asc(rating::Column::EpisodeId)
        .order_by_asc(rating::Column::Session)
        .all(&state.db)
        .await?;
    let internal = |e: csv::Error| AppError::Internal(e.to_string());
    let mut writer = csv::Writer::from_writer(Vec::new());
    writer
        .write_record([
            "client_id",
            "client_user_id",
            "age_group",
            "episode",
            "session",
            "measure",
            "loinc_total",
            "items",
            "total",
            "source",
            "entered_by",
            "time_utc",
        ])
        .map_err(internal)?;
    for r in &ratings {
        let client = clients.get(&r.client_id);
        let loinc = MeasureId::parse(&r.measure)
            .and_then(|m| measures::measure(m).loinc)
            .map(|l| l.total)
            .unwrap_or("");
        let at = chrono::DateTime::from_timestamp(r.at, 0)
            .map(|t| t.to_rfc3339())
            .unwrap_or_default();
        writer
            .write_record([
                r.client_id.to_string(),
                client.map(|c| c.login.clone()).unwrap_or_default(),
                client
                    .and_then(|c| c.age_group)
                    .map(AgeGroup::as_str)
                    .unwrap_or_default()
                    .to_string(),
                episodes
                    .get(&r.episode_id)
                    .map(|n| n.to_string())
                    .unwrap_or_default(),
                r.session.to_string(),
                r.measure.clone(),
                loinc.to_string(),
                r.items.trim_matches(|c| c == '[' || c == ']').replace(',', " "),
                format!("{:.1}", r.total),
                r.source.to_string(),
                r.entered_by.to_string(),
                at,
            ])
            .map_err(internal)?;
    }
    let bytes = writer
        .into_inner()
        .map_err(|e| AppError::Internal(e.to_string()))?;
    audit::record(
        &state.db,
        state.now(),
        Event::new("ratings.exported", "success")
            .account(account)
            .actor(actor.user.id)
            .ip(meta.ip)
            .details(format!("{} ratings", ratings.len())),
    )
    .await?;
    Ok(CsvFile {
        body: String::from_utf8_lossy(&bytes).into_owned(),
        disposition: Header::new(
            "Content-Disposition",
            "attachment; filename=\"outcomes-ratings.csv\"",
        ),
    })
}

pub fn routes() -> Vec<Route> {
    routes![export]
}
