//! The few SVG elements the chart draws, written as text with one decimal per coordinate, so
//! the output is small and stable.

/// One decimal, for coordinates and printed scores alike.
pub(super) fn d1(v: f64) -> String {
    format!("{v:.1}")
}

pub(super) fn esc(text: &str) -> String {
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

pub(super) fn line(x1: f64, y1: f64, x2: f64, y2: f64, attrs: &str) -> String {
    let [x1, y1, x2, y2] = [x1, y1, x2, y2].map(d1);
    format!("<line x1=\"{x1}\" y1=\"{y1}\" x2=\"{x2}\" y2=\"{y2}\" {attrs}/>")
}

/// `body` must already be escaped; `attrs` starts with a space when present.
pub(super) fn text(x: f64, y: f64, attrs: &str, body: &str) -> String {
    format!("<text x=\"{}\" y=\"{}\"{attrs}>{body}</text>", d1(x), d1(y))
}

pub(super) fn circle(x: f64, y: f64, r: &str, fill: &str, stroke: &str, tip: &str) -> String {
    let (x, y) = (d1(x), d1(y));
    format!("<circle cx=\"{x}\" cy=\"{y}\" r=\"{r}\" fill=\"{fill}\" stroke=\"{stroke}\">{tip}</circle>")
}

/// A one-point polyline draws nothing; the marker alone shows it.
pub(super) fn polyline(points: &[(f64, f64)], attrs: &str) -> String {
    if points.len() < 2 {
        return String::new();
    }
    let coords: Vec<String> = points
        .iter()
        .map(|&(x, y)| format!("{},{}", d1(x), d1(y)))
        .collect();
    format!(
        "<polyline points=\"{}\" fill=\"none\" {attrs}/>",
        coords.join(" ")
    )
}
