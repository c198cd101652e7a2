//! The account's clinical settings (which measures, which flag thresholds) and which measures
//! fit a client's age group.

use sea_orm::{ActiveModelTrait, ConnectionTrait, EntityTrait, Set};

use entities::{outcome_settings, user};

use crate::domain::AgeGroup;
use crate::domain::measures::{self, MeasureId, MeasureKind, alliance_measure_for, outcome_measure_for};
use crate::domain::scoring::FlagSettings;
use crate::error::AppError;

/// The account's clinical settings (defaults from OUTCOMES.md until the owner changes them).
#[derive(Debug, Clone, PartialEq)]
pub struct OutcomeSettings {
    pub measures: Vec<MeasureId>,
    pub flags: FlagSettings,
}

impl Default for OutcomeSettings {
    fn default() -> Self {
        Self {
            measures: MeasureId::all().to_vec(),
            flags: FlagSettings::default(),
        }
    }
}

pub async fn settings(db: &impl ConnectionTrait, account_id: i32) -> Result<OutcomeSettings, AppError> {
    Ok(
        match outcome_settings::Entity::find_by_id(account_id).one(db).await? {
            Some(row) => OutcomeSettings {
                measures: row.measures.split(',').filter_map(MeasureId::parse).collect(),
                flags: FlagSettings {
                    reliable_change: row.reliable_change,
                    alliance_cutoff: row.alliance_cutoff,
                    alliance_drop: row.alliance_drop,
                },
            },
            None => OutcomeSettings::default(),
        },
    )
}

pub async fn save_settings(
    db: &impl ConnectionTrait,
    account_id: i32,
    new: &OutcomeSettings,
) -> Result<(), AppError> {
    let measures = new
        .measures
        .iter()
        .map(|m| m.as_str())
        .collect::<Vec<_>>()
        .join(",");
    let row = outcome_settings::ActiveModel {
        account_id: Set(account_id),
        measures: Set(measures),
        reliable_change: Set(new.flags.reliable_change),
        alliance_cutoff: Set(new.flags.alliance_cutoff),
        alliance_drop: Set(new.flags.alliance_drop),
    };
    if outcome_settings::Entity::find_by_id(account_id)
        .one(db)
        .await?
        .is_some()
    {
        row.update(db).await?;
    } else {
        row.insert(db).await?;
    }
    Ok(())
}

/// Whether a measure is the version for this age group: one outcome and one alliance measure
/// per age group; symptom measures suit everyone.
pub(super) fn fits_age(id: MeasureId, age: AgeGroup) -> bool {
    match measures::measure(id).kind {
        MeasureKind::Outcome => outcome_measure_for(age) == id,
        MeasureKind::Alliance => alliance_measure_for(age) == id,
        MeasureKind::Symptom => true,
    }
}

/// The measures this account uses that fit this age group, outcome first.
pub fn measures_for(settings: &OutcomeSettings, age: AgeGroup) -> Vec<MeasureId> {
    MeasureId::all()
        .into_iter()
        .filter(|id| settings.measures.contains(id))
        .filter(|id| fits_age(*id, age))
        .collect()
}

pub fn age_of(client: &user::Model) -> AgeGroup {
    // Every client is created with an age group; staff have none and never rate.
    client.age_group.unwrap_or(AgeGroup::Adult)
}
