//! Which symptom questionnaires a provider asks a client for (PHQ-9, GAD-7): set on the client
//! page, read by `pending` to decide what is due. "Next session only" is spent by the answer
//! (`spend_next_session`, inside the rating's transaction).

use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set, TransactionTrait,
};

use entities::symptom_request;

use super::settings::{age_of, measures_for, settings};
use crate::auth::guards::Acting;
use crate::domain::FieldError;
use crate::domain::asking::Asking;
use crate::domain::measures::{self, MeasureId, MeasureKind};
use crate::error::AppError;
use crate::services::audit::{self, Event};
use crate::services::clients::VisibleClient;
use crate::state::AppState;

/// The symptom questionnaires this client can be asked for (switched on by the practice), each
/// with how often it is asked now.
pub async fn asking_of(
    db: &impl ConnectionTrait,
    client: &VisibleClient,
) -> Result<Vec<(MeasureId, Asking)>, AppError> {
    let settings = settings(db, client.account_id).await?;
    let stored = stored(db, client.id).await?;
    Ok(symptom_measures(&measures_for(&settings, age_of(client)))
        .into_iter()
        .map(|id| {
            let asking = stored
                .iter()
                .find(|(m, _)| *m == id)
                .map_or(Asking::NotAsked, |(_, a)| *a);
            (id, asking)
        })
        .collect())
}

fn symptom_measures(offered: &[MeasureId]) -> Vec<MeasureId> {
    offered
        .iter()
        .copied()
        .filter(|id| measures::measure(*id).kind == MeasureKind::Symptom)
        .collect()
}

/// The stored requests (any measure; `pending` keeps those the practice still uses).
pub(super) async fn stored(
    db: &impl ConnectionTrait,
    client_id: i32,
) -> Result<Vec<(MeasureId, Asking)>, AppError> {
    Ok(symptom_request::Entity::find()
        .filter(symptom_request::Column::ClientId.eq(client_id))
        .all(db)
        .await?
        .into_iter()
        .filter_map(|row| MeasureId::parse(&row.measure).map(|id| (id, Asking::from_stored(row.every))))
        .collect())
}

/// Sets how often each named questionnaire is asked; one audited change, all or nothing. A
/// measure the practice does not use (or that is not a symptom questionnaire) is refused.
pub async fn set_asking(
    state: &AppState,
    actor: &impl Acting,
    client: &VisibleClient,
    choices: &[(MeasureId, Asking)],
    ip: Option<String>,
) -> Result<(), AppError> {
    let offered = symptom_measures(&measures_for(
        &settings(&state.db, client.account_id).await?,
        age_of(client),
    ));
    if let Some((refused, _)) = choices.iter().find(|(id, _)| !offered.contains(id)) {
        return Err(AppError::Invalid(vec![FieldError::new(
            "measure",
            format!(
                "{} is not one of your practice's questionnaires.",
                measures::measure(*refused).short
            ),
        )]));
    }
    let now = state.now();
    let actor_id = actor.acting_user().id;
    let txn = state.db.begin().await?;
    let mut said = Vec::new();
    for (id, asking) in choices {
        symptom_request::Entity::delete_many()
            .filter(symptom_request::Column::ClientId.eq(client.id))
            .filter(symptom_request::Column::Measure.eq(id.as_str()))
            .exec(&txn)
            .await?;
        if *asking != Asking::NotAsked {
            symptom_request::ActiveModel {
                client_id: Set(client.id),
                measure: Set(id.as_str().into()),
                account_id: Set(client.account_id),
                every: Set(asking.every()),
                asked_at: Set(now),
                asked_by: Set(actor_id),
            }
            .insert(&txn)
            .await?;
        }
        said.push(format!(
            "{}: {}",
            measures::measure(*id).short,
            asking.label().to_lowercase()
        ));
    }
    audit::record(
        &txn,
        now,
        Event::new("client.questionnaires", "success")
            .account(client.account_id)
            .actor(actor_id)
            .ip(ip)
            .subject(format!("client {}", client.id))
            .details(said.join("; ")),
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

/// A symptom questionnaire asked for "next session only" is no longer asked once answered.
pub(super) async fn spend_next_session(
    db: &impl ConnectionTrait,
    client_id: i32,
    measure: MeasureId,
) -> Result<(), AppError> {
    symptom_request::Entity::delete_many()
        .filter(symptom_request::Column::ClientId.eq(client_id))
        .filter(symptom_request::Column::Measure.eq(measure.as_str()))
        .filter(symptom_request::Column::Every.is_null())
        .exec(db)
        .await?;
    Ok(())
}
