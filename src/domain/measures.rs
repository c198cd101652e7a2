//! The rating scales (ORS, CORS, SRS, CSRS, PHQ-9, GAD-7) as data, and parsing of submitted item scores.

use serde::Serialize;

use super::{AgeGroup, FieldError};

mod catalog;

use catalog::MEASURES;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum MeasureId {
    Ors,
    Cors,
    Srs,
    Csrs,
    Phq9,
    Gad7,
}

impl MeasureId {
    pub fn parse(value: &str) -> Option<Self> {
        match value.trim().to_ascii_lowercase().as_str() {
            "ors" => Some(Self::Ors),
            "cors" => Some(Self::Cors),
            "srs" => Some(Self::Srs),
            "csrs" => Some(Self::Csrs),
            "phq9" | "phq-9" => Some(Self::Phq9),
            "gad7" | "gad-7" => Some(Self::Gad7),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Ors => "ors",
            Self::Cors => "cors",
            Self::Srs => "srs",
            Self::Csrs => "csrs",
            Self::Phq9 => "phq9",
            Self::Gad7 => "gad7",
        }
    }

    pub fn all() -> [Self; 6] {
        [
            Self::Ors,
            Self::Cors,
            Self::Srs,
            Self::Csrs,
            Self::Phq9,
            Self::Gad7,
        ]
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum MeasureKind {
    /// ORS family: how the client is doing; has an expected trajectory.
    Outcome,
    /// SRS family: how the session went.
    Alliance,
    /// PHQ-9, GAD-7: symptom questionnaires, lower is better.
    Symptom,
}

/// A figure that differs between adults and youth (adolescents and children).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct ByAge {
    pub adult: f64,
    pub youth: f64,
}

impl ByAge {
    pub fn for_age(self, age: AgeGroup) -> f64 {
        match age {
            AgeGroup::Adult => self.adult,
            AgeGroup::Adolescent | AgeGroup::Child => self.youth,
        }
    }
}

/// Where a total counts as a clinical concern.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(tag = "rule", rename_all = "snake_case")]
pub enum CutOff {
    /// Outcome measures: the clinical range is at or below the value.
    ClinicalAtOrBelow(ByAge),
    /// Alliance measures: a total below the value is an alliance concern.
    ConcernBelow(f64),
    /// Symptom measures: a total at or above the value counts as a case.
    CasenessAtOrAbove(f64),
}

/// A labelled range of totals, from `min` up to the next band's `min`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Band {
    pub min: f64,
    pub label: &'static str,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Loinc {
    pub panel: &'static str,
    pub total: &'static str,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Measure {
    pub id: MeasureId,
    pub name: &'static str,
    /// What clients read in their list of measures (SPEC §3.2): plain words, no acronym first.
    pub plain_name: &'static str,
    /// One line under each item's name, in the client's words (empty: the item says it all).
    pub descriptions: &'static [&'static str],
    pub short: &'static str,
    pub kind: MeasureKind,
    /// Instruction shown above the items, if the measure has one.
    pub prompt: Option<&'static str>,
    pub items: &'static [&'static str],
    /// Labels for answers `item_min..=item_max` (PHQ/GAD); empty for visual-analogue lines.
    pub answers: &'static [&'static str],
    pub item_min: f64,
    pub item_max: f64,
    pub decimals: u8,
    pub total_max: f64,
    pub higher_is_better: bool,
    pub reliable_change: Option<f64>,
    pub cutoff: CutOff,
    pub bands: &'static [Band],
    /// Standard deviation for effect sizes (ORS family only).
    pub effect_sd: Option<ByAge>,
    pub copyright: &'static str,
    pub licence: &'static str,
    pub loinc: Option<Loinc>,
    /// Index of the item that raises a safety alert when answered above zero.
    pub safety_item: Option<usize>,
}

/// Form field names for items; `FieldError` needs `&'static str`.
const ITEM_FIELDS: [&str; 9] = [
    "item1", "item2", "item3", "item4", "item5", "item6", "item7", "item8", "item9",
];

pub fn measure(id: MeasureId) -> &'static Measure {
    let index = match id {
        MeasureId::Ors => 0,
        MeasureId::Cors => 1,
        MeasureId::Srs => 2,
        MeasureId::Csrs => 3,
        MeasureId::Phq9 => 4,
        MeasureId::Gad7 => 5,
    };
    &MEASURES[index]
}

/// Children (6–12) use the child forms; adolescents and adults the ORS.
pub fn outcome_measure_for(age: AgeGroup) -> MeasureId {
    match age {
        AgeGroup::Child => MeasureId::Cors,
        AgeGroup::Adult | AgeGroup::Adolescent => MeasureId::Ors,
    }
}

pub fn alliance_measure_for(age: AgeGroup) -> MeasureId {
    match age {
        AgeGroup::Child => MeasureId::Csrs,
        AgeGroup::Adult | AgeGroup::Adolescent => MeasureId::Srs,
    }
}

impl Measure {
    /// The top of the clinical range for outcome measures; `None` for other kinds.
    pub fn clinical_cutoff(&self, age: AgeGroup) -> Option<f64> {
        match self.cutoff {
            CutOff::ClinicalAtOrBelow(by_age) => Some(by_age.for_age(age)),
            CutOff::ConcernBelow(_) | CutOff::CasenessAtOrAbove(_) => None,
        }
    }

    /// The severity or alliance band a total falls in; `None` when the measure has no bands
    /// or the total is outside `0..=total_max`.
    pub fn band(&self, total: f64) -> Option<&'static str> {
        if !(0.0..=self.total_max).contains(&total) {
            return None;
        }
        self.bands
            .iter()
            .rev()
            .find(|band| total >= band.min)
            .map(|band| band.label)
    }

    /// True when the measure's safety item (PHQ-9 item 9) was answered above zero.
    pub fn safety_alert(&self, items: &[f64]) -> bool {
        self.safety_item
            .and_then(|index| items.get(index))
            .is_some_and(|&score| score > 0.0)
    }

    /// Sum of item scores, rounded to one decimal.
    pub fn total(&self, items: &[f64]) -> f64 {
        round1(items.iter().sum())
    }

    /// Parses submitted item scores; `raw[i]` is the text of field `item{i+1}`. Entries past
    /// the measure's item count are ignored.
    pub fn parse_items(&self, raw: &[&str]) -> Result<Vec<f64>, Vec<FieldError>> {
        let mut scores = Vec::with_capacity(self.items.len());
        let mut errors = Vec::new();
        for (index, field) in ITEM_FIELDS.iter().take(self.items.len()).enumerate() {
            let text = raw.get(index).map_or("", |text| text.trim());
            let name = self.item_name(index);
            if text.is_empty() {
                errors.push(FieldError::new(field, format!("{name} is required.")));
                continue;
            }
            match parse_score(text, self.decimals, self.item_min, self.item_max) {
                Some(score) => scores.push(score),
                None => errors.push(FieldError::new(
                    field,
                    format!("{name} must be {}.", self.item_rule()),
                )),
            }
        }
        if errors.is_empty() {
            Ok(scores)
        } else {
            Err(errors)
        }
    }

    /// A total entered without items, stored as four equal items (visual-analogue measures only).
    pub fn from_total(&self, raw: &str) -> Result<Vec<f64>, FieldError> {
        if self.decimals == 0 || self.items.len() != 4 {
            return Err(FieldError::new(
                "total",
                format!("{} has no total-only entry: enter each item.", self.short),
            ));
        }
        let text = raw.trim();
        if text.is_empty() {
            return Err(FieldError::new("total", "Total is required."));
        }
        let max = self.item_max * 4.0;
        let total = parse_score(text, self.decimals, self.item_min * 4.0, max).ok_or_else(|| {
            FieldError::new(
                "total",
                format!("Total must be a number from 0.0 to {max:.1} with at most one decimal."),
            )
        })?;
        Ok(vec![total / 4.0; 4])
    }

    /// How an item is named in messages: its label on the short scales, its number on PHQ/GAD.
    fn item_name(&self, index: usize) -> String {
        match self.kind {
            MeasureKind::Symptom => format!("Question {}", index + 1),
            MeasureKind::Outcome | MeasureKind::Alliance => {
                self.items.get(index).copied().unwrap_or("Item").to_string()
            }
        }
    }

    fn item_rule(&self) -> String {
        if self.decimals == 0 {
            format!("a whole number from {} to {}", self.item_min, self.item_max)
        } else {
            format!(
                "a number from {:.1} to {:.1} with at most one decimal",
                self.item_min, self.item_max
            )
        }
    }
}

/// Plain decimal text (digits, one optional `.` or `,`) with at most `decimals` significant
/// decimal places, within `min..=max`. Rejects signs, exponents, `inf` and `NaN`.
fn parse_score(text: &str, decimals: u8, min: f64, max: f64) -> Option<f64> {
    let text = text.replace(',', ".");
    let (whole, fraction) = text.split_once('.').unwrap_or((&text, ""));
    let fraction_digits = fraction.trim_end_matches('0');
    let digits_only = |part: &str| part.chars().all(|c| c.is_ascii_digit());
    if (whole.is_empty() && fraction.is_empty())
        || !digits_only(whole)
        || !digits_only(fraction)
        || fraction_digits.len() > usize::from(decimals)
    {
        return None;
    }
    let value: f64 = text.parse().ok()?;
    (min..=max).contains(&value).then_some(value)
}

pub(crate) fn round1(value: f64) -> f64 {
    (value * 10.0).round() / 10.0
}

// Scores are exact to the decimal: equal means equal in these tests.
#[cfg(test)]
#[allow(clippy::float_cmp)]
mod tests;
