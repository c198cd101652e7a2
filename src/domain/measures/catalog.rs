//! The figures for each measure, one definition per measure, as given in OUTCOMES.md.

use super::{Band, ByAge, CutOff, Loinc, Measure, MeasureId, MeasureKind};

const fn band(min: f64, label: &'static str) -> Band {
    Band { min, label }
}

const MILLER_DUNCAN: &str = "© Scott D. Miller and Barry L. Duncan";
const MILLER_DUNCAN_LICENCE: &str =
    "Electronic use requires a licence from the authors (www.scottdmiller.com).";
const PFIZER: &str = "Developed by Drs. Robert L. Spitzer, Janet B.W. Williams, Kurt Kroenke \
     and colleagues, with an educational grant from Pfizer Inc.";
const PFIZER_LICENCE: &str = "No permission required to reproduce, translate, display or distribute.";
const TWO_WEEKS: &str =
    "Over the last 2 weeks, how often have you been bothered by any of the following problems?";
const FREQUENCY: &[&str] = &[
    "Not at all",
    "Several days",
    "More than half the days",
    "Nearly every day",
];

pub(super) static MEASURES: [Measure; 6] = [
    Measure {
        id: MeasureId::Ors,
        name: "Outcome Rating Scale (ORS)",
        plain_name: "How have you been doing?",
        descriptions: &[
            "Personal well-being",
            "Family, close relationships",
            "Work, school, friendships",
            "General sense of well-being",
        ],
        short: "ORS",
        kind: MeasureKind::Outcome,
        prompt: Some(
            "Looking back over the last week, including today, how have you been doing in each of these areas of your life?",
        ),
        items: &["Individually", "Interpersonally", "Socially", "Overall"],
        answers: &[],
        item_min: 0.0,
        item_max: 10.0,
        decimals: 1,
        total_max: 40.0,
        higher_is_better: true,
        reliable_change: Some(5.0),
        cutoff: CutOff::ClinicalAtOrBelow(ByAge {
            adult: 25.0,
            youth: 28.0,
        }),
        bands: &[],
        effect_sd: Some(ByAge {
            adult: 7.75,
            youth: 7.25,
        }),
        copyright: MILLER_DUNCAN,
        licence: MILLER_DUNCAN_LICENCE,
        loinc: None,
        safety_item: None,
    },
    Measure {
        id: MeasureId::Cors,
        name: "Child Outcome Rating Scale (CORS)",
        plain_name: "How are you doing?",
        descriptions: &[
            "How am I doing?",
            "How are things in my family?",
            "How am I doing at school?",
            "How is everything going?",
        ],
        short: "CORS",
        kind: MeasureKind::Outcome,
        prompt: Some("How are you doing? How are things going in your life?"),
        items: &["Me", "Family", "School", "Everything"],
        answers: &[],
        item_min: 0.0,
        item_max: 10.0,
        decimals: 1,
        total_max: 40.0,
        higher_is_better: true,
        reliable_change: Some(5.0),
        cutoff: CutOff::ClinicalAtOrBelow(ByAge {
            adult: 28.0,
            youth: 28.0,
        }),
        bands: &[],
        effect_sd: Some(ByAge {
            adult: 7.75,
            youth: 7.25,
        }),
        copyright: MILLER_DUNCAN,
        licence: MILLER_DUNCAN_LICENCE,
        loinc: None,
        safety_item: None,
    },
    Measure {
        id: MeasureId::Srs,
        name: "Session Rating Scale (SRS)",
        plain_name: "How was today's session?",
        descriptions: &[
            "I felt heard, understood and respected.",
            "We worked on and talked about what I wanted to work on and talk about.",
            "The approach is a good fit for me.",
            "Overall, today's session was right for me.",
        ],
        short: "SRS",
        kind: MeasureKind::Alliance,
        prompt: Some("Thinking about today's session, where would you put yourself on each line?"),
        items: &[
            "Relationship",
            "Goals and Topics",
            "Approach or Method",
            "Overall",
        ],
        answers: &[],
        item_min: 0.0,
        item_max: 10.0,
        decimals: 1,
        total_max: 40.0,
        higher_is_better: true,
        reliable_change: None,
        cutoff: CutOff::ConcernBelow(36.0),
        bands: ALLIANCE_BANDS,
        effect_sd: None,
        copyright: MILLER_DUNCAN,
        licence: MILLER_DUNCAN_LICENCE,
        loinc: None,
        safety_item: None,
    },
    Measure {
        id: MeasureId::Csrs,
        name: "Child Session Rating Scale (CSRS)",
        plain_name: "How was our time together today?",
        descriptions: &[
            "Did the counsellor listen to me?",
            "Did we talk about what is important to me?",
            "Did I like what we did today?",
            "Overall, I hope to come back.",
        ],
        short: "CSRS",
        kind: MeasureKind::Alliance,
        prompt: Some("How was our time together today?"),
        items: &["Listening", "How Important", "What We Did", "Overall"],
        answers: &[],
        item_min: 0.0,
        item_max: 10.0,
        decimals: 1,
        total_max: 40.0,
        higher_is_better: true,
        reliable_change: None,
        cutoff: CutOff::ConcernBelow(36.0),
        bands: ALLIANCE_BANDS,
        effect_sd: None,
        copyright: MILLER_DUNCAN,
        licence: MILLER_DUNCAN_LICENCE,
        loinc: None,
        safety_item: None,
    },
    Measure {
        id: MeasureId::Phq9,
        name: "Patient Health Questionnaire (PHQ-9)",
        plain_name: "Mood questionnaire (PHQ-9)",
        descriptions: &[],
        short: "PHQ-9",
        kind: MeasureKind::Symptom,
        prompt: Some(TWO_WEEKS),
        items: &[
            "Little interest or pleasure in doing things",
            "Feeling down, depressed, or hopeless",
            "Trouble falling or staying asleep, or sleeping too much",
            "Feeling tired or having little energy",
            "Poor appetite or overeating",
            "Feeling bad about yourself — or that you are a failure or have let yourself or your \
             family down",
            "Trouble concentrating on things, such as reading the newspaper or watching television",
            "Moving or speaking so slowly that other people could have noticed? Or the opposite — \
             being so fidgety or restless that you have been moving around a lot more than usual",
            "Thoughts that you would be better off dead or of hurting yourself in some way",
        ],
        answers: FREQUENCY,
        item_min: 0.0,
        item_max: 3.0,
        decimals: 0,
        total_max: 27.0,
        higher_is_better: false,
        reliable_change: Some(6.0),
        cutoff: CutOff::CasenessAtOrAbove(10.0),
        bands: &[
            band(0.0, "minimal"),
            band(5.0, "mild"),
            band(10.0, "moderate"),
            band(15.0, "moderately severe"),
            band(20.0, "severe"),
        ],
        effect_sd: None,
        copyright: PFIZER,
        licence: PFIZER_LICENCE,
        loinc: Some(Loinc {
            panel: "44249-1",
            total: "44261-6",
        }),
        safety_item: Some(8),
    },
    Measure {
        id: MeasureId::Gad7,
        name: "Generalized Anxiety Disorder scale (GAD-7)",
        plain_name: "Worry questionnaire (GAD-7)",
        descriptions: &[],
        short: "GAD-7",
        kind: MeasureKind::Symptom,
        prompt: Some(TWO_WEEKS),
        items: &[
            "Feeling nervous, anxious, or on edge",
            "Not being able to stop or control worrying",
            "Worrying too much about different things",
            "Trouble relaxing",
            "Being so restless that it is hard to sit still",
            "Becoming easily annoyed or irritable",
            "Feeling afraid, as if something awful might happen",
        ],
        answers: FREQUENCY,
        item_min: 0.0,
        item_max: 3.0,
        decimals: 0,
        total_max: 21.0,
        higher_is_better: false,
        reliable_change: Some(4.0),
        cutoff: CutOff::CasenessAtOrAbove(8.0),
        bands: &[
            band(0.0, "minimal"),
            band(5.0, "mild"),
            band(10.0, "moderate"),
            band(15.0, "severe"),
        ],
        effect_sd: None,
        copyright: PFIZER,
        licence: PFIZER_LICENCE,
        loinc: Some(Loinc {
            panel: "69737-5",
            total: "70274-6",
        }),
        safety_item: None,
    },
];

// OUTCOMES.md gives whole-number ranges (0–34, 35–38, 39–40); totals with a decimal fall in
// the band whose lower bound they have reached, so 38.5 is fair.
const ALLIANCE_BANDS: &[Band] = &[band(0.0, "poor"), band(35.0, "fair"), band(39.0, "good")];
