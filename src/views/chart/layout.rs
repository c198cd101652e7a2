//! The two layouts of the graph (a desktop's page, a phone's) and their measures.

/// Where the graph is shown: a desktop's page or a phone's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Layout {
    Wide,
    Narrow,
}

/// The drawing's measures in one layout (SVG user units, drawn 1:1 as CSS pixels).
pub(super) struct Geometry {
    pub(super) min_width: f64,
    pub(super) left: f64,
    pub(super) right: f64,
    pub(super) top: f64,
    pub(super) plot_h: f64,
    /// Height of the smallest text: 12 or more, so it reads on a phone.
    pub(super) font: f64,
    pub(super) heading: f64,
    /// Narrowest slot per session that still fits its number.
    pub(super) min_slot: f64,
    /// Room one date label needs ("12 Mar").
    pub(super) date_width: f64,
    pub(super) id: &'static str,
}

impl Layout {
    pub(super) fn geometry(self) -> Geometry {
        match self {
            Layout::Wide => Geometry {
                min_width: 640.0,
                left: 56.0,
                right: 24.0,
                top: 40.0,
                plot_h: 264.0,
                font: 12.0,
                heading: 14.0,
                min_slot: 16.0,
                date_width: 46.0,
                id: "chart",
            },
            Layout::Narrow => Geometry {
                min_width: 340.0,
                left: 38.0,
                right: 10.0,
                top: 36.0,
                plot_h: 200.0,
                font: 12.5,
                heading: 14.0,
                min_slot: 18.0,
                date_width: 46.0,
                id: "chart-narrow",
            },
        }
    }
}
