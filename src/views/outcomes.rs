//! Contexts for outcome pages: the graph with its accessible table and explain lines, and the
//! entry form of a measure (visual-analogue lines or 0–3 answers).

use std::collections::HashMap;

use serde::Serialize;

use crate::domain::measures::{self, MeasureId};
use crate::domain::{AgeGroup, Locale};
use crate::services::outcomes::EpisodeRecord;
use crate::services::outcomes::session_dates;
use crate::views::chart::{ChartInput, Layout, render};

#[derive(Debug, Serialize)]
pub struct TableRow {
    pub session: i32,
    /// The session's date in the practice's zone ("3 Mar 2026").
    pub date: String,
    pub outcome: String,
    pub expected: String,
    pub alliance: String,
    pub other: String,
}

#[derive(Debug, Serialize)]
pub struct OutcomeView {
    /// The graph at desktop size, and at phone size (the page shows one or the other).
    pub svg: String,
    pub svg_narrow: String,
    /// What the line styles mean, in words (the figure's caption).
    pub key: String,
    pub episode_number: i32,
    pub episode_open: bool,
    pub outcome_label: &'static str,
    pub alliance_label: &'static str,
    pub rows: Vec<TableRow>,
    pub outcome_flag: &'static str,
    pub outcome_explain: String,
    pub alliance_flag: &'static str,
    pub alliance_explain: String,
    pub intake: Option<String>,
    pub target: Option<String>,
    pub expected_change: Option<String>,
    pub percent_of_expected: Option<String>,
    pub change: Option<String>,
    pub reliable_improvement: bool,
    pub reliable_deterioration: bool,
    pub clinically_significant: bool,
    pub effect_size: Option<String>,
    pub sawtooth: bool,
    pub excluded: Option<&'static str>,
    pub copyright: Vec<String>,
}

fn one(value: f64) -> String {
    format!("{value:.1}")
}

pub fn outcome_view(title: &str, age: AgeGroup, record: &EpisodeRecord, locale: &Locale) -> OutcomeView {
    let outcome_measure = measures::measure(record.outcome_measure);
    let alliance_measure = measures::measure(record.alliance_measure);
    let as_points = |series: &[(i32, f64)]| -> Vec<(u32, f64)> {
        series
            .iter()
            .map(|(s, t)| (u32::try_from(*s).unwrap_or(0), *t))
            .collect()
    };
    let outcome = as_points(&record.outcome);
    let alliance = as_points(&record.alliance);
    let expected: Vec<(u32, f64)> = record
        .trajectory
        .as_ref()
        .map(|t| {
            t.path
                .iter()
                .enumerate()
                .map(|(i, v)| (i as u32 + 1, *v))
                .collect()
        })
        .unwrap_or_default();
    let dates = session_dates(&record.ratings);
    let axis_dates: Vec<(u32, String)> = dates
        .iter()
        .map(|(s, at)| (u32::try_from(*s).unwrap_or(0), locale.short_date(*at)))
        .collect();
    let flags = &record.flag_settings;
    let input = ChartInput {
        title,
        outcome_label: outcome_measure.short,
        outcome: &outcome,
        cutoff: outcome_measure.clinical_cutoff(age),
        expected: &expected,
        band: Some(flags.reliable_change),
        target: record.trajectory.as_ref().map(|t| t.target),
        alliance_label: alliance_measure.short,
        alliance: &alliance,
        alliance_threshold: Some(flags.alliance_cutoff),
        flag: record.outcome_flag.flag.as_str(),
        dates: &axis_dates,
    };
    let (svg, svg_narrow) = (render(&input, Layout::Wide), render(&input, Layout::Narrow));
    let key = format!(
        "Solid line with dots: {out} by session, coloured by its flag; dashed line with open dots: \
         the expected trajectory (ETR), in a shaded band of ± {rc} points (reliable change); \
         short dotted mark: the target; dash-dot line: the clinical cut-off; thin purple line with \
         squares: {al}; purple dotted line: {al} below {cut} is a concern.",
        out = outcome_measure.short,
        al = alliance_measure.short,
        rc = one(flags.reliable_change).trim_end_matches(".0"),
        cut = one(flags.alliance_cutoff).trim_end_matches(".0"),
    );
    let last_session = record.ratings.iter().map(|r| r.session).max().unwrap_or(0);
    let rows = (1..=last_session)
        .map(|session| {
            let find = |id: MeasureId| {
                record
                    .ratings
                    .iter()
                    .find(|r| r.session == session && r.measure == id.as_str())
                    .map(|r| one(r.total))
                    .unwrap_or_default()
            };
            let other = record
                .ratings
                .iter()
                .filter(|r| {
                    r.session == session
                        && r.measure != record.outcome_measure.as_str()
                        && r.measure != record.alliance_measure.as_str()
                })
                .filter_map(|r| {
                    let m = measures::measure(MeasureId::parse(&r.measure)?);
                    Some(format!(
                        "{} {:.0}{}",
                        m.short,
                        r.total,
                        m.band(r.total).map(|b| format!(" ({b})")).unwrap_or_default()
                    ))
                })
                .collect::<Vec<_>>()
                .join("; ");
            TableRow {
                session,
                date: dates.get(&session).map(|at| locale.date(*at)).unwrap_or_default(),
                outcome: find(record.outcome_measure),
                expected: expected
                    .iter()
                    .find(|(s, _)| *s as i32 == session)
                    .map(|(_, v)| one(*v))
                    .unwrap_or_default(),
                alliance: find(record.alliance_measure),
                other,
            }
        })
        .collect();
    let change = &record.change;
    let has_outcome = !record.outcome.is_empty();
    let mut copyright: Vec<String> = record
        .ratings
        .iter()
        .filter_map(|r| MeasureId::parse(&r.measure))
        .map(|id| {
            let m = measures::measure(id);
            format!("{}: {}", m.short, m.copyright)
        })
        .collect();
    copyright.sort();
    copyright.dedup();
    OutcomeView {
        svg,
        svg_narrow,
        key,
        episode_number: record.episode.number,
        episode_open: record.episode.closed_at.is_none(),
        outcome_label: outcome_measure.short,
        alliance_label: alliance_measure.short,
        rows,
        outcome_flag: record.outcome_flag.flag.as_str(),
        outcome_explain: record.outcome_flag.explain.clone(),
        alliance_flag: record.alliance_flag.flag.as_str(),
        alliance_explain: record.alliance_flag.explain.clone(),
        intake: record
            .trajectory
            .as_ref()
            .map(|t| one(t.intake))
            .or_else(|| record.outcome.first().map(|(_, v)| one(*v))),
        target: record.trajectory.as_ref().map(|t| one(t.target)),
        expected_change: record.trajectory.as_ref().map(|t| one(t.expected_change)),
        percent_of_expected: change.percent_of_expected.map(|p| format!("{p:.0} %")),
        change: has_outcome.then(|| format!("{:+.1}", change.change)),
        reliable_improvement: change.reliable_improvement,
        reliable_deterioration: change.reliable_deterioration,
        clinically_significant: change.clinically_significant,
        effect_size: change.effect_size.map(|e| format!("{e:.2}")),
        sawtooth: change.sawtooth,
        excluded: change.excluded,
        copyright,
    }
}

#[derive(Debug, Serialize)]
pub struct ItemField {
    pub name: String,
    pub label: &'static str,
    /// The item's description under its name ("" when it has none).
    pub description: &'static str,
    pub value: String,
    pub error: String,
}

#[derive(Debug, Serialize)]
pub struct Answer {
    pub value: String,
    pub label: &'static str,
}

/// One measure's entry form.
#[derive(Debug, Serialize)]
pub struct MeasureForm {
    pub id: &'static str,
    pub name: &'static str,
    pub plain_name: &'static str,
    pub short: &'static str,
    pub prompt: Option<&'static str>,
    pub visual_analogue: bool,
    pub items: Vec<ItemField>,
    pub answers: Vec<Answer>,
    pub copyright: &'static str,
    pub licence: &'static str,
}

pub fn measure_form(
    id: MeasureId,
    values: &HashMap<String, String>,
    errors: &HashMap<String, String>,
) -> MeasureForm {
    let m = measures::measure(id);
    let items = m
        .items
        .iter()
        .enumerate()
        .map(|(i, label)| {
            let name = format!("item{}", i + 1);
            ItemField {
                description: m.descriptions.get(i).copied().unwrap_or_default(),
                value: values.get(&name).cloned().unwrap_or_default(),
                error: errors.get(&name).cloned().unwrap_or_default(),
                label,
                name,
            }
        })
        .collect();
    let answers = m
        .answers
        .iter()
        .enumerate()
        .map(|(i, label)| Answer {
            value: (m.item_min as usize + i).to_string(),
            label,
        })
        .collect();
    MeasureForm {
        id: id.as_str(),
        name: m.name,
        plain_name: m.plain_name,
        short: m.short,
        prompt: m.prompt,
        visual_analogue: m.decimals > 0,
        items,
        answers,
        copyright: m.copyright,
        licence: m.licence,
    }
}
