//! Flags (on track, below expected, at risk, alliance concern) and change statistics for an episode.

use serde::Serialize;

use super::AgeGroup;
use super::etr::EtrModels;
use super::measures::{CutOff, Measure, MeasureKind, round1};

pub use entities::values::Flag;

/// The thresholds clinicians argue about; each is an account setting.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct FlagSettings {
    pub reliable_change: f64,
    /// An alliance total below this is a concern.
    pub alliance_cutoff: f64,
    /// A fall of at least this much since the previous session is a concern.
    pub alliance_drop: f64,
}

impl Default for FlagSettings {
    fn default() -> Self {
        Self {
            reliable_change: 5.0,
            alliance_cutoff: 36.0,
            alliance_drop: 1.0,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FlagResult {
    pub flag: Flag,
    /// The numbers and the rule that set the flag, shown next to it.
    pub explain: String,
}

impl FlagResult {
    fn new(flag: Flag, explain: String) -> Self {
        Self { flag, explain }
    }
}

/// The sawtooth validity caution: enough large alternating swings to doubt the ratings.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct SawtoothRule {
    pub min_swing: f64,
    pub min_changes: usize,
}

pub const SAWTOOTH: SawtoothRule = SawtoothRule {
    min_swing: 6.0,
    min_changes: 4,
};

const FEWER_THAN_TWO: &str = "fewer than 2 ratings";
const ABOVE_32: &str = "above 32: no expected trajectory";

/// Scores are entered to one decimal; comparing whole tenths keeps boundaries exact and makes
/// the rule agree with the rounded numbers the explain line shows.
fn tenths(value: f64) -> i64 {
    (value * 10.0).round() as i64
}

/// A threshold as a clinician writes it: "5", "5.5".
fn figure(value: f64) -> String {
    let text = format!("{:.1}", round1(value));
    text.strip_suffix(".0").map_or(text.clone(), str::to_string)
}

/// The outcome flag for the latest of `scores` (totals in session order, first = intake), when
/// the n-th score is at session n.
pub fn outcome_flag(scores: &[f64], youth: bool, settings: &FlagSettings) -> FlagResult {
    outcome_flag_at(
        scores,
        u32::try_from(scores.len()).unwrap_or(u32::MAX),
        youth,
        settings,
    )
}

/// The outcome flag for the latest of `scores`, rated at session `latest_session` (sessions can
/// be skipped, so E is the expectation at that session, not at the count of ratings).
pub fn outcome_flag_at(
    scores: &[f64],
    latest_session: u32,
    youth: bool,
    settings: &FlagSettings,
) -> FlagResult {
    let (Some(&intake), Some(&score)) = (scores.first(), scores.last()) else {
        return too_few_ratings();
    };
    if scores.len() < 2 {
        return too_few_ratings();
    }
    let session = latest_session as usize;
    let expected = EtrModels::PUBLISHED.expected_at(intake, youth, scores.len(), latest_session);
    let Some(expected) = expected else {
        return FlagResult::new(
            Flag::Grey,
            format!(
                "The first score, {intake:.1}, is above 32, where no expected trajectory is \
                 published, so there is no flag."
            ),
        );
    };
    let expected = round1(expected);
    let r = settings.reliable_change;
    let (s, e, rc, i) = (tenths(score), tenths(expected), tenths(r), tenths(intake));
    let rc_text = format!("{} points (the reliable change)", figure(r));
    if s <= i - rc {
        FlagResult::new(
            Flag::Red,
            format!(
                "At session {session} the score of {score:.1} is at least {rc_text} below \
                 the first score of {intake:.1}, so the client is reliably worse than at the start."
            ),
        )
    } else if s < e - rc {
        FlagResult::new(
            Flag::Red,
            format!(
                "At session {session} the score of {score:.1} is more than {rc_text} below \
                 the {expected:.1} expected by now, so the client is at risk of not benefiting."
            ),
        )
    } else if s < e {
        FlagResult::new(
            Flag::Amber,
            format!(
                "At session {session} the score of {score:.1} is below the {expected:.1} \
                 expected by now, but by no more than {rc_text}."
            ),
        )
    } else {
        FlagResult::new(
            Flag::Green,
            format!(
                "At session {session} the score of {score:.1} is at or above the \
                 {expected:.1} expected by now, so the client is on track."
            ),
        )
    }
}

fn too_few_ratings() -> FlagResult {
    FlagResult::new(
        Flag::Grey,
        "A flag needs at least two outcome ratings, and there are fewer so far.".into(),
    )
}

/// The alliance flag for the latest of `scores` (SRS/CSRS totals in session order).
pub fn alliance_flag(scores: &[f64], settings: &FlagSettings) -> FlagResult {
    let Some(&latest) = scores.last() else {
        return FlagResult::new(
            Flag::Grey,
            "There is no alliance rating yet, so there is no alliance flag.".into(),
        );
    };
    let cutoff = figure(settings.alliance_cutoff);
    let drop = figure(settings.alliance_drop);
    if tenths(latest) < tenths(settings.alliance_cutoff) {
        return FlagResult::new(
            Flag::Red,
            format!(
                "The latest alliance rating, {latest:.1}, is below {cutoff}, so talk with the \
                 client about how the sessions are going."
            ),
        );
    }
    let previous = scores.len().checked_sub(2).and_then(|i| scores.get(i));
    if let Some(&previous) = previous {
        let fall = tenths(previous) - tenths(latest);
        if fall >= tenths(settings.alliance_drop) {
            return FlagResult::new(
                Flag::Red,
                format!(
                    "The alliance rating fell from {previous:.1} to {latest:.1}, by {:.1} \
                     (a fall of {drop} or more counts), so ask the client what changed.",
                    round1(previous - latest)
                ),
            );
        }
    }
    FlagResult::new(
        Flag::Green,
        format!(
            "The latest alliance rating, {latest:.1}, is {cutoff} or above and did not fall by \
             {drop} or more."
        ),
    )
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ChangeSummary {
    /// First and last totals (0 when there are none).
    pub first: f64,
    pub last: f64,
    /// last − first, rounded to one decimal.
    pub change: f64,
    pub reliable_improvement: bool,
    pub reliable_deterioration: bool,
    /// ORS family: crossed the cut-off with reliable improvement; PHQ-9/GAD-7: "recovered".
    pub clinically_significant: bool,
    pub effect_size: Option<f64>,
    /// Percent of the expected change met, 0–100 (ORS family with an expected trajectory).
    pub percent_of_expected: Option<f64>,
    pub sawtooth: bool,
    /// Why the episode is left out of statistics (it is still shown).
    pub excluded: Option<&'static str>,
}

/// Change over an episode from its totals in session order.
pub fn change_summary(measure: &Measure, age: AgeGroup, scores: &[f64]) -> ChangeSummary {
    change_summary_with(measure, age, scores, measure.reliable_change)
}

/// As `change_summary`, with the account's reliable-change value for the ORS family (the same
/// one its flags use).
pub fn change_summary_with(
    measure: &Measure,
    age: AgeGroup,
    scores: &[f64],
    reliable_change: Option<f64>,
) -> ChangeSummary {
    let first = scores.first().copied().unwrap_or(0.0);
    let last = scores.last().copied().unwrap_or(0.0);
    let rated_twice = scores.len() >= 2;
    let youth = age != AgeGroup::Adult;
    let outcome = measure.kind == MeasureKind::Outcome;

    let improvement = if measure.higher_is_better {
        tenths(last) - tenths(first)
    } else {
        tenths(first) - tenths(last)
    };
    let reliable = |amount: i64| reliable_change.is_some_and(|r| rated_twice && amount >= tenths(r));
    let reliable_improvement = reliable(improvement);
    let reliable_deterioration = reliable(-improvement);

    let clinically_significant = reliable_improvement
        && match measure.cutoff {
            CutOff::ClinicalAtOrBelow(by_age) => {
                let cutoff = tenths(by_age.for_age(age));
                tenths(first) <= cutoff && tenths(last) > cutoff
            }
            CutOff::CasenessAtOrAbove(caseness) => {
                tenths(first) >= tenths(caseness) && tenths(last) < tenths(caseness)
            }
            CutOff::ConcernBelow(_) => false,
        };

    let effect_size = measure
        .effect_sd
        .filter(|_| rated_twice)
        .map(|sd| (last - first) / sd.for_age(age));

    let trajectory = EtrModels::PUBLISHED.expected_path(first, youth, scores.len(), 0);
    let percent_of_expected = trajectory
        .filter(|t| outcome && rated_twice && t.expected_change > 0.0)
        .map(|t| ((last - first) / t.expected_change * 100.0).clamp(0.0, 100.0));

    let excluded = if !rated_twice {
        Some(FEWER_THAN_TWO)
    } else if outcome && first > EtrModels::PUBLISHED.max_intake {
        Some(ABOVE_32)
    } else {
        None
    };

    ChangeSummary {
        first,
        last,
        change: round1(last - first),
        reliable_improvement,
        reliable_deterioration,
        clinically_significant,
        effect_size,
        percent_of_expected,
        sawtooth: sawtooth(scores, &SAWTOOTH),
        excluded,
    }
}

/// Counts session-to-session moves of at least `min_swing` points that go the other way from
/// the previous such move (the first counts: with 5 ratings there are at most 4 moves).
pub fn sawtooth(scores: &[f64], rule: &SawtoothRule) -> bool {
    let min_swing = tenths(rule.min_swing);
    let mut last_direction = 0;
    let mut changes = 0;
    for pair in scores.windows(2) {
        let [before, after] = pair else { continue };
        let step = tenths(*after) - tenths(*before);
        if step.abs() >= min_swing && step.signum() != last_direction {
            last_direction = step.signum();
            changes += 1;
        }
    }
    changes >= rule.min_changes
}

#[cfg(test)]
mod tests;
