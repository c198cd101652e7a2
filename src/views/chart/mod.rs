//! Renders a client's progress graph as a self-contained, accessible SVG string.

/// Everything the graph shows for one episode; scores are totals on the 0–40 scale.
pub struct ChartInput<'a> {
    pub title: &'a str,
    pub outcome_label: &'a str,
    pub outcome: &'a [(u32, f64)],
    pub cutoff: Option<f64>,
    pub expected: &'a [(u32, f64)],
    pub target: Option<f64>,
    pub alliance_label: &'a str,
    pub alliance: &'a [(u32, f64)],
    pub flag: &'a str,
}

/// Narrowest drawing; a long episode widens it (see [`Scale::new`]) and the viewBox rescales.
const MIN_WIDTH: f64 = 640.0;
const HEIGHT: f64 = 400.0;
const LEFT: f64 = 56.0;
const RIGHT: f64 = 24.0;
const TOP: f64 = 40.0;
/// Room under the plot for the session labels, the axis title and the legend.
const BOTTOM: f64 = 96.0;
const PLOT_H: f64 = HEIGHT - TOP - BOTTOM;
/// Narrowest slot per session that still fits a two-digit label without overlap.
const MIN_SLOT: f64 = 16.0;
const MAX_SCORE: f64 = 40.0;
/// Even an intake-only episode gets a few empty sessions, so one point is not a lone dot.
const MIN_SESSIONS: u32 = 6;

const EXPECTED_COLOUR: &str = "#0b5cad";
const ALLIANCE_COLOUR: &str = "#6f42c1";
const CUTOFF_COLOUR: &str = "#424a53";
const DASHED: &str = "stroke-width=\"2\" stroke-dasharray=\"6 4\"";
const GRID_COLOUR: &str = "#d0d7de";
const AXIS_COLOUR: &str = "#57606a";

/// (session, score) pairs, as in [`ChartInput`].
type Points = [(u32, f64)];

/// Maps sessions and scores to drawing coordinates.
struct Scale {
    sessions: u32,
    slot: f64,
}

impl Scale {
    /// Slot = (MIN_WIDTH − LEFT − RIGHT) / sessions, but never narrower than `MIN_SLOT`.
    fn new(sessions: u32) -> Self {
        let slot = ((MIN_WIDTH - LEFT - RIGHT) / f64::from(sessions)).max(MIN_SLOT);
        Scale { sessions, slot }
    }
    fn right(&self) -> f64 {
        LEFT + self.slot * f64::from(self.sessions)
    }
    /// x(s) = LEFT + (s − 0.5) × slot: each session sits in the middle of its own slot.
    fn x(&self, session: u32) -> f64 {
        LEFT + (f64::from(session) - 0.5) * self.slot
    }
    /// y(v) = TOP + (40 − v) × PLOT_H / 40, v clamped to 0–40: 40 is the top margin, 0 the
    /// bottom of the plot area.
    fn y(v: f64) -> f64 {
        TOP + (MAX_SCORE - v.clamp(0.0, MAX_SCORE)) * PLOT_H / MAX_SCORE
    }
}

/// One decimal, for coordinates and printed scores alike, so output is stable and small.
fn d1(v: f64) -> String {
    format!("{v:.1}")
}

fn esc(text: &str) -> String {
    // `&` first, so the entities added after it are not escaped twice.
    let pairs = [
        ("&", "&amp;"),
        ("<", "&lt;"),
        (">", "&gt;"),
        ("\"", "&quot;"),
        ("'", "&apos;"),
    ];
    pairs
        .iter()
        .fold(text.to_string(), |t, (from, to)| t.replace(from, to))
}

/// Unknown flags draw grey rather than failing: the chart is decoration on a page that works.
fn flag_colour(flag: &str) -> (&'static str, &'static str) {
    match flag.to_ascii_lowercase().as_str() {
        "green" => ("green", "#1a7f37"),
        "amber" => ("amber", "#9a6700"),
        "red" => ("red", "#b42318"),
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

fn line(x1: f64, y1: f64, x2: f64, y2: f64, attrs: &str) -> String {
    let [x1, y1, x2, y2] = [x1, y1, x2, y2].map(d1);
    format!("<line x1=\"{x1}\" y1=\"{y1}\" x2=\"{x2}\" y2=\"{y2}\" {attrs}/>")
}

/// `body` must already be escaped; `attrs` starts with a space when present.
fn text(x: f64, y: f64, attrs: &str, body: &str) -> String {
    format!("<text x=\"{}\" y=\"{}\"{attrs}>{body}</text>", d1(x), d1(y))
}

fn circle(x: f64, y: f64, r: &str, fill: &str, stroke: &str, tip: &str) -> String {
    let (x, y) = (d1(x), d1(y));
    format!("<circle cx=\"{x}\" cy=\"{y}\" r=\"{r}\" fill=\"{fill}\" stroke=\"{stroke}\">{tip}</circle>")
}

fn polyline(scale: &Scale, points: &Points, attrs: &str) -> String {
    // A one-point polyline draws nothing; the marker alone shows it.
    if points.len() < 2 {
        return String::new();
    }
    let coords: Vec<String> = points
        .iter()
        .map(|&(s, v)| format!("{},{}", d1(scale.x(s)), d1(Scale::y(v))))
        .collect();
    format!(
        "<polyline points=\"{}\" fill=\"none\" {attrs}/>",
        coords.join(" ")
    )
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
    parts.push(format!("flag {}", flag_colour(input.flag).0));
    format!("{}.", parts.join("; "))
}

/// The whole chart as one `<svg>` element, safe to inline under CSP `default-src 'self'`:
/// presentation attributes only, no `style`, no scripts, no external fonts.
pub fn render_svg(input: &ChartInput<'_>) -> String {
    let (outcome, alliance) = (clean(input.outcome), clean(input.alliance));
    let expected = clean(input.expected);
    let (flag, colour) = flag_colour(input.flag);
    let all = outcome.iter().chain(&expected).chain(&alliance);
    let scale = Scale::new(all.map(|p| p.0).max().unwrap_or(0).max(MIN_SESSIONS));
    let (right, bottom) = (scale.right(), Scale::y(0.0));
    let mid = (LEFT + right) / 2.0;
    let axis = format!("stroke=\"{AXIS_COLOUR}\"");
    let (middle, end) = (" text-anchor=\"middle\"", " text-anchor=\"end\"");

    let mut s = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" role=\"img\" \
         aria-labelledby=\"chart-title chart-desc\" viewBox=\"0 0 {} {}\" width=\"100%\" \
         font-family=\"system-ui, sans-serif\" font-size=\"12\" fill=\"#24292f\">\
         <title id=\"chart-title\">{}</title><desc id=\"chart-desc\">{}</desc>",
        d1(right + RIGHT),
        d1(HEIGHT),
        esc(input.title),
        esc(&describe(input, &outcome, &expected, &alliance)),
    );
    let heading = " font-size=\"14\" font-weight=\"600\"";
    s += &text(LEFT, 22.0, heading, &esc(input.title));
    let grid = format!("stroke=\"{GRID_COLOUR}\"");
    for v in (0..=40).step_by(10) {
        let y = Scale::y(f64::from(v));
        s += &line(LEFT, y, right, y, &grid);
        s += &text(LEFT - 8.0, y + 4.0, end, &v.to_string());
    }
    s += &line(LEFT, TOP, LEFT, bottom, &axis);
    s += &line(LEFT, bottom, right, bottom, &axis);
    for n in 1..=scale.sessions {
        let x = scale.x(n);
        s += &line(x, bottom, x, bottom + 5.0, &axis);
        s += &text(x, bottom + 18.0, middle, &n.to_string());
    }
    s += &text(mid, bottom + 38.0, middle, "Session");
    let rotated = " transform=\"rotate(-90)\" text-anchor=\"middle\"";
    s += &text(-(TOP + PLOT_H / 2.0), 16.0, rotated, "Score (0–40)");

    // Legend entries, a sample stroke and a name, for every series actually drawn.
    let mut legend: Vec<(String, String)> = Vec::new();
    // Reference labels go on top of the data, with a white halo, so lines never hide them.
    let mut labels = String::new();
    let halo = " paint-order=\"stroke\" stroke=\"#ffffff\" stroke-width=\"3\"";
    if let Some(c) = input.cutoff.filter(|v| v.is_finite()) {
        let y = Scale::y(c);
        let attrs = format!("stroke=\"{CUTOFF_COLOUR}\" stroke-width=\"1.5\"");
        s += &line(LEFT, y, right, y, &attrs);
        labels += &text(LEFT + 4.0, y - 4.0, halo, &format!("Cut-off {}", d1(c)));
        legend.push((attrs, "Cut-off".into()));
    }
    // The target is one number, not a path: a short mark at the right keeps it off the data.
    if let Some(t) = input.target.filter(|v| v.is_finite()) {
        let y = Scale::y(t);
        let attrs = format!("stroke=\"{EXPECTED_COLOUR}\" stroke-width=\"3\" stroke-dasharray=\"2 3\"");
        s += &line(right - 48.0, y, right, y, &attrs);
        labels += &text(
            right - 2.0,
            y - 6.0,
            &format!("{end}{halo}"),
            &format!("Target {}", d1(t)),
        );
        legend.push((attrs, "Target".into()));
    }
    // The flag is named in words too, so colour is never the only signal (WCAG 1.4.1).
    let outcome_name = format!("{} ({flag})", input.outcome_label);
    let (al, ol) = (input.alliance_label, input.outcome_label);
    let etr = "Expected (ETR)";
    // Drawn in this order so the client's own scores sit on top of everything else.
    let series = [
        (&expected, etr, "expected", EXPECTED_COLOUR, DASHED),
        (&alliance, al, al, ALLIANCE_COLOUR, "stroke-width=\"1.5\""),
        (&outcome, &outcome_name, ol, colour, "stroke-width=\"2.5\""),
    ];
    for (i, (points, name, hover, stroke, extra)) in series.into_iter().enumerate() {
        if points.is_empty() {
            continue;
        }
        let attrs = format!("stroke=\"{stroke}\" {extra}");
        s += &polyline(&scale, points, &attrs);
        for &(n, v) in points {
            let tip = format!("<title>Session {n}: {} {}</title>", esc(hover), d1(v));
            let (x, y) = (scale.x(n), Scale::y(v));
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
        legend.push((attrs, name.to_string()));
    }
    s += &labels;
    if outcome.is_empty() && alliance.is_empty() {
        let attrs = format!("{middle} font-size=\"16\" fill=\"{AXIS_COLOUR}\"");
        s += &text(mid, TOP + PLOT_H / 2.0, &attrs, "No ratings yet");
    }
    // Without font metrics a fixed advance per character is the best estimate SVG allows.
    let (mut x, y) = (LEFT, bottom + 70.0);
    for (attrs, name) in legend.iter().rev() {
        s += &line(x, y - 4.0, x + 24.0, y - 4.0, attrs);
        s += &text(x + 30.0, y, "", &esc(name));
        x += 50.0 + 7.0 * name.chars().count() as f64;
    }
    s + "</svg>"
}

#[cfg(test)]
mod tests;
