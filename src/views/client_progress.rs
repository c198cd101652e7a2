//! The client's own view of their progress (SPEC §3.2): their outcome scores on the graph and
//! in plain words, without the clinician's panel (no flags, expected trajectory, cut-off, effect
//! size or their alliance ratings).

use serde::Serialize;

use crate::domain::Locale;
use crate::domain::measures::{self, MeasureId};
use crate::services::outcomes::{EpisodeRecord, session_dates};
use crate::views::chart::{ChartInput, Layout, render};

#[derive(Debug, Serialize)]
pub struct ClientRow {
    pub session: i32,
    pub date: String,
    pub score: String,
}

#[derive(Debug, Serialize)]
pub struct ClientProgress {
    pub svg: String,
    pub svg_narrow: String,
    /// "Your score went from 15.6 to 23.5; higher is better."
    pub summary: String,
    pub rows: Vec<ClientRow>,
    pub copyright: String,
}

pub fn client_progress(record: &EpisodeRecord, locale: &Locale) -> ClientProgress {
    let measure = measures::measure(record.outcome_measure);
    let mut scores: Vec<(i32, f64)> = record.outcome.clone();
    scores.sort_by_key(|(session, _)| *session);
    let points: Vec<(u32, f64)> = scores
        .iter()
        .map(|(s, v)| (u32::try_from(*s).unwrap_or(0), *v))
        .collect();
    let dates = session_dates(&record.ratings);
    let axis_dates: Vec<(u32, String)> = dates
        .iter()
        .filter(|(s, _)| scores.iter().any(|(x, _)| x == *s))
        .map(|(s, at)| (u32::try_from(*s).unwrap_or(0), locale.short_date(*at)))
        .collect();
    let input = ChartInput {
        title: "My scores by session",
        outcome_label: "My score",
        outcome: &points,
        cutoff: None,
        expected: &[],
        band: None,
        target: None,
        alliance_label: "",
        alliance: &[],
        alliance_threshold: None,
        flag: "",
        dates: &axis_dates,
    };
    let better = if measure.higher_is_better {
        "higher is better"
    } else {
        "lower is better"
    };
    let summary = match (scores.first(), scores.last()) {
        (Some((_, first)), Some((_, last))) if scores.len() > 1 => {
            format!("Your score went from {first:.1} to {last:.1}; {better}.")
        }
        (Some((_, first)), _) => format!("Your first score is {first:.1}; {better}."),
        _ => "Your scores will show here once you have answered.".into(),
    };
    let rows = scores
        .iter()
        .map(|(session, score)| ClientRow {
            session: *session,
            date: dates.get(session).map(|at| locale.date(*at)).unwrap_or_default(),
            score: format!("{score:.1}"),
        })
        .collect();
    let copyright = MeasureId::parse(record.outcome_measure.as_str())
        .map(|id| measures::measure(id).copyright.to_string())
        .unwrap_or_default();
    ClientProgress {
        svg: render(&input, Layout::Wide),
        svg_narrow: render(&input, Layout::Narrow),
        summary,
        rows,
        copyright,
    }
}
