//! Renders a client's progress graph as a self-contained, accessible SVG string: the scores,
//! the expected trajectory with its band (± reliable change), the target, the clinical cut-off
//! and the alliance threshold, each drawn in its own line style and named in the legend; the
//! sessions' dates under the axis. Drawn at its natural size in two layouts (wide for desktops,
//! narrow for phones), never scaled down, so its text stays 12 px or more.

// The SVG is assembled in one String; `write!` would add an ignored `fmt::Result` per line.
#![allow(clippy::format_push_string)]

mod layout;
mod svg;

use layout::Geometry;
pub use layout::Layout;
use svg::{circle, d1, esc, line, polyline, text};

/// Everything the graph shows for one episode; scores are totals on the 0–40 scale.
pub struct ChartInput<'a> {
    pub title: &'a str,
    pub outcome_label: &'a str,
    pub outcome: &'a [(u32, f64)],
    pub cutoff: Option<f64>,
    pub expected: &'a [(u32, f64)],
    /// Half the width of the shaded band around the expected trajectory (reliable change).
    pub band: Option<f64>,
    pub target: Option<f64>,
    pub alliance_label: &'a str,
    pub alliance: &'a [(u32, f64)],
    /// An alliance total below this is a concern.
    pub alliance_threshold: Option<f64>,
    /// The outcome flag; empty in the client's own view, which names no flag.
    pub flag: &'a str,
    /// A short date per session ("3 Mar"), shown under its number.
    pub dates: &'a [(u32, String)],
}

const MAX_SCORE: f64 = 40.0;
/// Even an intake-only episode gets a few empty sessions, so one point is not a lone dot.
const MIN_SESSIONS: u32 = 6;

const EXPECTED_COLOUR: &str = "#0b5cad";
const BAND_FILL: &str = "#0b5cad";
const ALLIANCE_COLOUR: &str = "#6f42c1";
const CUTOFF_COLOUR: &str = "#424a53";
const GRID_COLOUR: &str = "#d0d7de";
const AXIS_COLOUR: &str = "#57606a";

/// The line styles, one per kind of line, so no two read alike even without colour.
const EXPECTED_STYLE: &str = "stroke-width=\"2\" stroke-dasharray=\"6 4\"";
const TARGET_STYLE: &str = "stroke-width=\"3\" stroke-dasharray=\"2 3\"";
const CUTOFF_STYLE: &str = "stroke-width=\"1.5\" stroke-dasharray=\"12 4 2 4\"";
const THRESHOLD_STYLE: &str = "stroke-width=\"1.5\" stroke-dasharray=\"3 3\"";

/// (session, score) pairs, as in [`ChartInput`].
type Points = [(u32, f64)];

/// Maps sessions and scores to drawing coordinates.
struct Scale<'g> {
    g: &'g Geometry,
    sessions: u32,
    slot: f64,
}

impl<'g> Scale<'g> {
    /// Slot = plot width / sessions, but never narrower than the layout's `min_slot`.
    fn new(g: &'g Geometry, sessions: u32) -> Self {
        let slot = ((g.min_width - g.left - g.right) / f64::from(sessions)).max(g.min_slot);
        Scale { g, sessions, slot }
    }
    fn right(&self) -> f64 {
        self.g.left + self.slot * f64::from(self.sessions)
    }
    /// x(s) = left + (s − 0.5) × slot: each session sits in the middle of its own slot.
    fn x(&self, session: u32) -> f64 {
        self.g.left + (f64::from(session) - 0.5) * self.slot
    }
    /// y(v) = top + (40 − v) × plot height / 40, v clamped to 0–40.
    fn y(&self, v: f64) -> f64 {
        self.g.top + (MAX_SCORE - v.clamp(0.0, MAX_SCORE)) * self.g.plot_h / MAX_SCORE
    }
    /// Every n-th session gets a label `width` wide, so labels never overlap.
    fn every(&self, width: f64) -> u32 {
        (width / self.slot).ceil().max(1.0) as u32
    }
}

/// Unknown flags draw grey rather than failing: the chart is decoration on a page that works.
fn flag_colour(flag: &str) -> (&'static str, &'static str) {
    match flag.to_ascii_lowercase().as_str() {
        "green" => ("green", "#1a7f37"),
        "amber" => ("amber", "#9a6700"),
        "red" => ("red", "#b42318"),
        "" => ("", "#0b5cad"),
        _ => ("grey", "#57606a"),
    }
}

/// Session 0 and non-finite scores cannot be placed, so they are dropped; sorting keeps a
/// line from doubling back when callers pass ratings out of order.
fn clean(points: &Points) -> Vec<(u32, f64)> {
    let mut kept: Vec<_> = points
        .iter()
        .copied()
        .filter(|&(s, v)| s >= 1 && v.is_finite())
        .collect();
    kept.sort_by_key(|&(s, _)| s);
    kept
}

fn describe(input: &ChartInput<'_>, outcome: &Points, expected: &Points, alliance: &Points) -> String {
    let label = input.outcome_label;
    let mut parts = vec![match (outcome.first(), outcome.last()) {
        (Some(&(s1, v1)), Some(&(s2, v2))) if outcome.len() > 1 => {
            let (a, b) = (d1(v1), d1(v2));
            format!("{label} from {a} at session {s1} to {b} at session {s2}")
        }
        (Some(&(s, v)), _) => format!("{label} {} at session {s}", d1(v)),
        _ => format!("No {label} ratings yet"),
    }];
    // Only an expected score at the latest rated session says whether the client is on track.
    let latest = outcome.last().map(|&(s, _)| s);
    if let Some(&(_, e)) = expected.iter().find(|&&(s, _)| Some(s) == latest) {
        parts.push(format!("expected {}", d1(e)));
    }
    if let Some(t) = input.target.filter(|t| t.is_finite()) {
        parts.push(format!("target {}", d1(t)));
    }
    if let Some(&(s, v)) = alliance.last() {
        parts.push(format!("{} {} at session {s}", input.alliance_label, d1(v)));
    }
    // An empty flag is the client's own view (SPEC §3.2): no flag named anywhere.
    if !input.flag.is_empty() {
        parts.push(format!("flag {}", flag_colour(input.flag).0));
    }
    format!("{}.", parts.join("; "))
}

/// A legend entry: how its sample is drawn, and its name.
enum Sample {
    Stroke(String),
    Band,
}

/// The wide chart (the page's default); see [`render`].
pub fn render_svg(input: &ChartInput<'_>) -> String {
    render(input, Layout::Wide)
}

/// The whole chart as one `<svg>` element, safe to inline under CSP `default-src 'self'`:
/// presentation attributes only, no `style`, no scripts, no external fonts.
pub fn render(input: &ChartInput<'_>, layout: Layout) -> String {
    let g = layout.geometry();
    let (outcome, alliance) = (clean(input.outcome), clean(input.alliance));
    let expected = clean(input.expected);
    let (flag, colour) = flag_colour(input.flag);
    let all = outcome.iter().chain(&expected).chain(&alliance);
    let scale = Scale::new(&g, all.map(|p| p.0).max().unwrap_or(0).max(MIN_SESSIONS));
    let (right, bottom) = (scale.right(), scale.y(0.0));
    let width = right + g.right;
    let mid = f64::midpoint(g.left, right);
    let axis = format!("stroke=\"{AXIS_COLOUR}\"");
    let (middle, end) = (" text-anchor=\"middle\"", " text-anchor=\"end\"");
    let mut s = text(
        g.left,
        g.top - 16.0,
        &format!(" font-size=\"{}\" font-weight=\"600\"", g.heading),
        &esc(input.title),
    );
    let grid = format!("stroke=\"{GRID_COLOUR}\"");
    for v in (0..=40).step_by(10) {
        let y = scale.y(f64::from(v));
        s += &line(g.left, y, right, y, &grid);
        s += &text(g.left - 6.0, y + 4.0, end, &v.to_string());
    }
    let mut legend: Vec<(Sample, String)> = Vec::new();
    // The band first, under every line.
    if let Some(band) = input
        .band
        .filter(|b| b.is_finite() && *b > 0.0 && expected.len() > 1)
    {
        let upper = expected.iter().map(|&(n, v)| (scale.x(n), scale.y(v + band)));
        let lower = expected
            .iter()
            .rev()
            .map(|&(n, v)| (scale.x(n), scale.y(v - band)));
        let points: Vec<String> = upper
            .chain(lower)
            .map(|(x, y)| format!("{},{}", d1(x), d1(y)))
            .collect();
        s += &format!(
            "<polygon points=\"{}\" fill=\"{BAND_FILL}\" fill-opacity=\"0.14\" stroke=\"none\"/>",
            points.join(" ")
        );
        legend.push((Sample::Band, format!("Expected range (±{})", figure(band))));
    }
    s += &line(g.left, g.top, g.left, bottom, &axis);
    s += &line(g.left, bottom, right, bottom, &axis);
    let (numbers, dates) = (scale.every(g.font * 1.6), scale.every(g.date_width));
    for n in 1..=scale.sessions {
        let x = scale.x(n);
        s += &line(x, bottom, x, bottom + 5.0, &axis);
        if (n - 1) % numbers == 0 {
            s += &text(x, bottom + 18.0, middle, &n.to_string());
        }
        if let Some((_, date)) = input.dates.iter().find(|(d, _)| *d == n)
            && (n - 1) % dates == 0
        {
            s += &text(
                x,
                bottom + 34.0,
                &format!("{middle} fill=\"{AXIS_COLOUR}\""),
                &esc(date),
            );
        }
    }
    s += &text(mid, bottom + 52.0, middle, "Session and date");
    let rotated = " transform=\"rotate(-90)\" text-anchor=\"middle\"";
    s += &text(-(g.top + g.plot_h / 2.0), 14.0, rotated, "Score (0–40)");
    // Reference labels go on top of the data, with a white halo, so lines never hide them.
    let mut labels = String::new();
    let halo = " paint-order=\"stroke\" stroke=\"#ffffff\" stroke-width=\"3\"";
    let mut reference =
        |value: Option<f64>, colour: &str, style: &str, name: String, label: String, at_right: bool| {
            let Some(v) = value.filter(|v| v.is_finite()) else {
                return String::new();
            };
            let y = scale.y(v);
            let attrs = format!("stroke=\"{colour}\" {style}");
            let drawn = if at_right {
                // The target is one number, not a path: a short mark at the right keeps it off the data.
                labels += &text(right - 2.0, y - 6.0, &format!("{end}{halo}"), &esc(&label));
                line(right - 48.0, y, right, y, &attrs)
            } else {
                labels += &text(g.left + 4.0, y - 4.0, halo, &esc(&label));
                line(g.left, y, right, y, &attrs)
            };
            legend.push((Sample::Stroke(attrs), name));
            drawn
        };
    s += &reference(
        input.cutoff,
        CUTOFF_COLOUR,
        CUTOFF_STYLE,
        "Clinical cut-off".into(),
        format!("Cut-off {}", d1(input.cutoff.unwrap_or_default())),
        false,
    );
    s += &reference(
        input.alliance_threshold,
        ALLIANCE_COLOUR,
        THRESHOLD_STYLE,
        format!("{} concern below", input.alliance_label),
        format!(
            "{} concern below {}",
            input.alliance_label,
            figure(input.alliance_threshold.unwrap_or_default())
        ),
        false,
    );
    s += &reference(
        input.target,
        EXPECTED_COLOUR,
        TARGET_STYLE,
        "Target".into(),
        format!("Target {}", d1(input.target.unwrap_or_default())),
        true,
    );
    // The flag is named in words too, so colour is never the only signal (WCAG 1.4.1).
    let outcome_name = if input.flag.is_empty() {
        input.outcome_label.to_string()
    } else {
        format!("{} ({flag})", input.outcome_label)
    };
    let (al, ol) = (input.alliance_label, input.outcome_label);
    // Drawn in this order so the client's own scores sit on top of everything else.
    let series = [
        (
            &expected,
            "Expected (ETR)",
            "expected",
            EXPECTED_COLOUR,
            EXPECTED_STYLE,
        ),
        (&alliance, al, al, ALLIANCE_COLOUR, "stroke-width=\"1.5\""),
        (
            &outcome,
            outcome_name.as_str(),
            ol,
            colour,
            "stroke-width=\"2.5\"",
        ),
    ];
    for (i, (points, name, hover, stroke, extra)) in series.into_iter().enumerate() {
        if points.is_empty() {
            continue;
        }
        let attrs = format!("stroke=\"{stroke}\" {extra}");
        let coords: Vec<(f64, f64)> = points.iter().map(|&(n, v)| (scale.x(n), scale.y(v))).collect();
        s += &polyline(&coords, &attrs);
        for (&(n, v), &(x, y)) in points.iter().zip(&coords) {
            let tip = format!("<title>Session {n}: {} {}</title>", esc(hover), d1(v));
            // Squares for alliance, so the two kinds of score differ by more than colour.
            s += &match i {
                0 => circle(x, y, "2.5", "#ffffff", stroke, &tip),
                1 => format!(
                    "<rect x=\"{}\" y=\"{}\" width=\"6\" height=\"6\" fill=\"{stroke}\">{tip}</rect>",
                    d1(x - 3.0),
                    d1(y - 3.0)
                ),
                _ => circle(x, y, "4", stroke, stroke, &tip),
            };
        }
        legend.push((Sample::Stroke(attrs), name.to_string()));
    }
    s += &labels;
    if outcome.is_empty() && alliance.is_empty() {
        let attrs = format!("{middle} font-size=\"16\" fill=\"{AXIS_COLOUR}\"");
        s += &text(mid, g.top + g.plot_h / 2.0, &attrs, "No ratings yet");
    }
    // The legend flows into rows. Without font metrics a fixed advance per character is the
    // best estimate SVG allows.
    let advance = g.font * 0.6;
    let (mut x, mut y) = (g.left, bottom + 78.0);
    for (sample, name) in legend.iter().rev() {
        let wide = 32.0 + advance * name.chars().count() as f64;
        if x > g.left && x + wide > width - g.right {
            (x, y) = (g.left, y + 22.0);
        }
        s += &match sample {
            Sample::Stroke(attrs) => line(x, y - 4.0, x + 24.0, y - 4.0, attrs),
            Sample::Band => format!(
                "<rect x=\"{}\" y=\"{}\" width=\"24\" height=\"10\" fill=\"{BAND_FILL}\" fill-opacity=\"0.14\"/>",
                d1(x),
                d1(y - 9.0)
            ),
        };
        s += &text(x + 30.0, y, "", &esc(name));
        x += wide + 18.0;
    }
    let height = y + 14.0;
    format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" role=\"img\" aria-labelledby=\"{id}-title {id}-desc\" \
         viewBox=\"0 0 {w} {h}\" width=\"{w}\" height=\"{h}\" font-family=\"system-ui, sans-serif\" \
         font-size=\"{font}\" fill=\"#24292f\"><title id=\"{id}-title\">{title}</title>\
         <desc id=\"{id}-desc\">{desc}</desc>{s}</svg>",
        id = g.id,
        w = d1(width),
        h = d1(height),
        font = g.font,
        title = esc(input.title),
        desc = esc(&describe(input, &outcome, &expected, &alliance)),
    )
}

/// A threshold as a clinician writes it: "5", "5.5".
fn figure(value: f64) -> String {
    let text = d1(value);
    text.strip_suffix(".0").map_or(text.clone(), str::to_string)
}

#[cfg(test)]
mod tests;
