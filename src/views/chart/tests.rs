//! The chart's rendering checked against its documented scale, escaping and legend.

use super::*;

fn casey() -> ChartInput<'static> {
    ChartInput {
        title: "Casey Client: ORS by session",
        outcome_label: "ORS",
        outcome: &[(1, 18.0), (2, 20.5), (3, 22.0), (4, 24.5)],
        cutoff: Some(25.0),
        expected: &[(1, 18.0), (4, 26.4), (6, 27.6)],
        target: Some(27.2),
        alliance_label: "SRS",
        alliance: &[(1, 34.0), (2, 36.5), (4, 38.0)],
        alliance_threshold: Some(36.0),
        band: Some(5.0),
        flag: "amber",
        dates: &[],
    }
}

fn empty() -> ChartInput<'static> {
    let mut chart = casey();
    (chart.outcome, chart.expected, chart.alliance) = (&[], &[], &[]);
    chart.target = None;
    chart
}

/// A minimal well-formedness check without an XML dependency: one root `<svg>`, and every
/// opened tag closed in order (escaping guarantees no raw `<` or `>` inside text).
fn assert_well_formed(svg: &str) {
    assert!(svg.starts_with("<svg") && svg.ends_with("</svg>"), "{svg}");
    assert_eq!(svg.matches("<svg").count(), 1);
    let (mut open, mut rest) = (Vec::new(), svg);
    while let Some(start) = rest.find('<') {
        let len = rest[start..].find('>').expect("every tag is closed");
        let tag = &rest[start + 1..start + len];
        rest = &rest[start + len + 1..];
        if let Some(name) = tag.strip_prefix('/') {
            assert_eq!(open.pop(), Some(name), "closing tag matches the open one");
        } else if !tag.ends_with('/') {
            open.push(tag.split_whitespace().next().unwrap_or_default());
        }
    }
    assert!(open.is_empty(), "unclosed: {open:?}");
}

#[test]
fn points_appear_where_the_documented_scale_puts_them() {
    let mut chart = empty();
    chart.outcome = &[(1, 40.0), (3, 0.0), (6, 20.0)];
    let svg = render_svg(&chart);
    let g = Layout::Wide.geometry();
    // Six sessions share the plot width; x(s) = left + (s − 0.5) × slot.
    let x = |s: f64| g.left + (s - 0.5) * (g.min_width - g.left - g.right) / 6.0;
    // 40 sits on the top margin, 0 on the bottom of the plot area, 20 half way.
    let bottom = g.top + g.plot_h;
    for (s, y) in [(1.0, g.top), (3.0, bottom), (6.0, f64::midpoint(g.top, bottom))] {
        let marker = format!("<circle cx=\"{:.1}\" cy=\"{:.1}\" r=\"4\"", x(s), y);
        assert!(svg.contains(&marker), "{marker} in {svg}");
    }
    assert!(svg.contains("<circle cx=\"102.7\" cy=\"40.0\""));
    assert!(svg.contains("<title>Session 3: ORS 0.0</title>"));
}

#[test]
fn outcome_markers_use_the_flag_colour() {
    for (flag, colour) in [("green", "#1a7f37"), ("red", "#b42318"), ("odd", "#57606a")] {
        let svg = render_svg(&ChartInput { flag, ..casey() });
        let marker = format!("r=\"4\" fill=\"{colour}\"");
        assert_eq!(svg.matches(&marker).count(), 4, "{flag}");
    }
}

#[test]
fn text_is_escaped_for_xml() {
    let mut chart = casey();
    (chart.title, chart.outcome_label) = ("<b>\"Tom\" & 'Jo'</b>", "O<R>S");
    let svg = render_svg(&chart);
    assert!(svg.contains("&lt;b&gt;&quot;Tom&quot; &amp; &apos;Jo&apos;&lt;/b&gt;"));
    assert!(svg.contains("Session 1: O&lt;R&gt;S 18.0"));
    assert!(!svg.contains("<b>") && !svg.contains("O<R>S"));
    assert_well_formed(&svg);
}

#[test]
fn an_empty_chart_shows_its_axes_and_says_no_ratings_yet() {
    let svg = render_svg(&empty());
    assert!(svg.contains(">No ratings yet</text>"));
    assert!(svg.contains(">Session and date</text>") && svg.contains(">Score (0–40)</text>"));
    assert!(svg.contains(">6</text>") && !svg.contains(">7</text>"));
    assert!(!svg.contains("<circle") && !svg.contains("<polyline"));
}

#[test]
fn the_description_names_the_first_and_last_scores_and_the_flag() {
    let desc = "ORS from 18.0 at session 1 to 24.5 at session 4; expected 26.4; \
                target 27.2; SRS 38.0 at session 4; flag amber.";
    let svg = render_svg(&casey());
    assert!(
        svg.contains(&format!("<desc id=\"chart-desc\">{desc}</desc>")),
        "{svg}"
    );
}

#[test]
fn every_series_and_reference_line_is_drawn_and_named_in_the_legend() {
    let svg = render_svg(&casey());
    for label in [
        "ORS (amber)",
        "Expected (ETR)",
        "Expected range (±5)",
        "SRS",
        "Target",
        "Target 27.2",
        "Clinical cut-off",
        "Cut-off 25.0",
        "SRS concern below",
        "SRS concern below 36",
    ] {
        assert!(svg.contains(&format!(">{label}</text>")), "{label}");
    }
    assert!(
        svg.contains("<rect ") && svg.contains("<polygon "),
        "alliance squares, the band"
    );
    assert!(svg.contains("aria-labelledby=\"chart-title chart-desc\""));
}

#[test]
fn expected_target_cut_off_and_threshold_each_have_their_own_line_style() {
    let svg = render_svg(&casey());
    let styles = [EXPECTED_STYLE, TARGET_STYLE, CUTOFF_STYLE, THRESHOLD_STYLE];
    for style in styles {
        assert!(svg.contains(style), "{style}");
    }
    let dashes: Vec<&str> = styles
        .iter()
        .filter_map(|s| s.split("stroke-dasharray=").nth(1))
        .collect();
    let mut distinct = dashes.clone();
    distinct.sort_unstable();
    distinct.dedup();
    assert_eq!(
        distinct.len(),
        dashes.len(),
        "no two dash patterns alike: {dashes:?}"
    );
}

#[test]
fn the_band_spans_reliable_change_either_side_of_the_expected_path() {
    let mut chart = empty();
    chart.expected = &[(1, 20.0), (2, 23.1)];
    let svg = render_svg(&chart);
    let g = Layout::Wide.geometry();
    let scale = Scale::new(&g, 6);
    let corner = format!("{},{}", d1(scale.x(1)), d1(scale.y(25.0)));
    let opposite = format!("{},{}", d1(scale.x(2)), d1(scale.y(18.1)));
    assert!(svg.contains(&corner) && svg.contains(&opposite), "{svg}");
}

#[test]
fn session_dates_sit_under_the_axis_without_overlapping() {
    let dates: Vec<(u32, String)> = (1..=12).map(|s| (s, format!("{s} Mar"))).collect();
    let scores: Vec<(u32, f64)> = (1..=12).map(|s| (s, 20.0)).collect();
    let mut chart = casey();
    (chart.dates, chart.outcome) = (&dates, &scores);
    let wide = render(&chart, Layout::Wide);
    assert!(
        wide.contains(">1 Mar</text>") && wide.contains(">12 Mar</text>"),
        "room for all 12"
    );
    let narrow = render(&chart, Layout::Narrow);
    assert!(
        narrow.contains(">1 Mar</text>") && !narrow.contains(">2 Mar</text>"),
        "every other"
    );
    assert!(narrow.contains("aria-labelledby=\"chart-narrow-title chart-narrow-desc\""));
}

#[test]
fn the_phone_layout_is_at_most_340_wide_with_text_of_12_px_or_more() {
    let svg = render(&casey(), Layout::Narrow);
    assert!(svg.contains("width=\"340.0\""), "{svg}");
    for size in svg
        .split("font-size=\"")
        .skip(1)
        .filter_map(|r| r.split('"').next())
    {
        let px: f64 = size.parse().expect("a number");
        assert!(px >= 12.0, "font-size {px}");
    }
}

#[test]
fn one_point_scores_at_the_limits_and_long_episodes_render_well_formed() {
    let (mut one, mut long) = (empty(), casey());
    (one.outcome, one.alliance) = (&[(1, 40.0)], &[(1, 0.0)]);
    let svg = render_svg(&one);
    assert!(svg.contains("<circle") && !svg.contains("<polyline"));
    assert!(svg.contains("ORS 40.0 at session 1"));
    let scores: Vec<(u32, f64)> = (1..=60).map(|s| (s, f64::from(s % 41))).collect();
    long.outcome = &scores;
    for svg in [svg, render_svg(&casey()), render_svg(&empty()), render_svg(&long)] {
        assert_well_formed(&svg);
        assert!(!svg.contains("style") && !svg.contains("script") && !svg.contains(" on"));
    }
    assert_eq!(render_svg(&long), render_svg(&long), "deterministic");
}
