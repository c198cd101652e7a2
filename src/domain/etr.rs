//! Expected treatment response (ETR) for the ORS family: the published trajectory models as data.

use serde::{Deserialize, Serialize};

/// One cubic trajectory model; each coefficient moves linearly with x = intake − 20.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct EtrModel {
    /// Sessions after intake past which the curve stays flat.
    pub flatten_k: u32,
    pub i0: f64,
    pub l0: f64,
    pub q0: f64,
    pub c0: f64,
    pub bi: f64,
    pub bl: f64,
    pub bq: f64,
    pub bc: f64,
}

// Regression coefficients published in the Better Outcomes Now algorithm repositories (2023).
pub const SHORT_TERM_ADULT: EtrModel = EtrModel {
    flatten_k: 9,
    i0: 20.192794,
    l0: 3.391172,
    q0: -0.51855,
    c0: 0.027243,
    bi: 0.968895,
    bl: -0.281445,
    bq: 0.049636,
    bc: -0.002821,
};

pub const LONG_TERM_ADULT: EtrModel = EtrModel {
    flatten_k: 22,
    i0: 20.729503,
    l0: 1.241249,
    q0: -0.080747,
    c0: 0.001847,
    bi: 0.883757,
    bl: -0.082032,
    bq: 0.005535,
    bc: -0.000126,
};

pub const SHORT_TERM_YOUTH: EtrModel = EtrModel {
    flatten_k: 9,
    i0: 20.311051,
    l0: 3.876662,
    q0: -0.617576,
    c0: 0.032964,
    bi: 0.961832,
    bl: -0.302422,
    bq: 0.053757,
    bc: -0.003009,
};

pub const LONG_TERM_YOUTH: EtrModel = EtrModel {
    flatten_k: 22,
    i0: 21.217437,
    l0: 1.540001,
    q0: -0.109128,
    c0: 0.002615,
    bi: 0.894288,
    bl: -0.103598,
    bq: 0.007662,
    bc: -0.00019,
};

/// The four models and the rules for choosing among them; a deployment may load its own.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct EtrModels {
    pub short_term_adult: EtrModel,
    pub long_term_adult: EtrModel,
    pub short_term_youth: EtrModel,
    pub long_term_youth: EtrModel,
    /// The short-term model applies while an episode has at most this many outcome ratings.
    pub short_term_max_ratings: usize,
    /// Intakes above this have no expected trajectory.
    pub max_intake: f64,
    /// Sessions after intake at which the target is read from the short-term model.
    pub target_k: u32,
}

impl EtrModels {
    pub const PUBLISHED: Self = Self {
        short_term_adult: SHORT_TERM_ADULT,
        long_term_adult: LONG_TERM_ADULT,
        short_term_youth: SHORT_TERM_YOUTH,
        long_term_youth: LONG_TERM_YOUTH,
        short_term_max_ratings: 12,
        max_intake: 32.0,
        target_k: 5,
    };

    pub fn short_term(&self, youth: bool) -> &EtrModel {
        if youth {
            &self.short_term_youth
        } else {
            &self.short_term_adult
        }
    }

    /// The model for an episode with `outcome_ratings` ratings so far.
    pub fn select(&self, youth: bool, outcome_ratings: usize) -> &EtrModel {
        match (youth, outcome_ratings <= self.short_term_max_ratings) {
            (false, true) => &self.short_term_adult,
            (false, false) => &self.long_term_adult,
            (true, true) => &self.short_term_youth,
            (true, false) => &self.long_term_youth,
        }
    }

    /// The expected score at `session` (1 = intake, which is shown as the intake itself);
    /// `None` when the intake is above the limit or `session` is 0.
    pub fn expected_at(&self, intake: f64, youth: bool, outcome_ratings: usize, session: u32) -> Option<f64> {
        if intake > self.max_intake || session == 0 {
            return None;
        }
        Some(match session {
            1 => intake,
            _ => etr(self.select(youth, outcome_ratings), intake, session - 1),
        })
    }

    pub fn expected_path(
        &self,
        intake: f64,
        youth: bool,
        outcome_ratings: usize,
        sessions: u32,
    ) -> Option<Trajectory> {
        if intake > self.max_intake {
            return None;
        }
        let target = etr(self.short_term(youth), intake, self.target_k);
        let path = (1..=sessions)
            .filter_map(|session| self.expected_at(intake, youth, outcome_ratings, session))
            .collect();
        Some(Trajectory {
            intake,
            target,
            expected_change: target - intake,
            path,
        })
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Trajectory {
    pub intake: f64,
    /// End-of-treatment expectation: short-term ETR at k = 5.
    pub target: f64,
    pub expected_change: f64,
    /// Expected score for sessions 1..=sessions; the first is the intake.
    pub path: Vec<f64>,
}

/// ETR(k) = I + L·k + Q·k² + C·k³ with each coefficient adjusted for x = intake − 20.
pub fn etr(model: &EtrModel, intake: f64, k: u32) -> f64 {
    let x = intake - 20.0;
    let k = f64::from(k.min(model.flatten_k));
    let i = model.i0 + model.bi * x;
    let l = model.l0 + model.bl * x;
    let q = model.q0 + model.bq * x;
    let c = model.c0 + model.bc * x;
    i + l * k + q * k * k + c * k * k * k
}

/// The expected path with the published models; `None` when the intake is above 32.
pub fn expected_path(intake: f64, youth: bool, outcome_ratings: usize, sessions: u32) -> Option<Trajectory> {
    EtrModels::PUBLISHED.expected_path(intake, youth, outcome_ratings, sessions)
}

// The check values of OUTCOMES.md are exact to the decimal: equal means equal here.
#[cfg(test)]
#[allow(clippy::float_cmp)]
mod tests {
    use super::*;

    fn round2(value: f64) -> f64 {
        (value * 100.0).round() / 100.0
    }

    fn target(intake: f64, youth: bool) -> Option<f64> {
        expected_path(intake, youth, 1, 1).map(|t| round2(t.target))
    }

    fn change(intake: f64, youth: bool) -> Option<f64> {
        expected_path(intake, youth, 1, 1).map(|t| round2(t.expected_change))
    }

    #[test]
    fn adult_intake_19_2_has_target_27_23() {
        assert_eq!(target(19.2, false), Some(27.23));
    }

    #[test]
    fn adult_intake_12_1_has_expected_change_11_94() {
        assert_eq!(change(12.1, false), Some(11.94));
    }

    #[test]
    fn youth_intake_19_2_has_target_28_04() {
        assert_eq!(target(19.2, true), Some(28.04));
    }

    #[test]
    fn youth_intake_12_1_has_expected_change_12_98() {
        assert_eq!(change(12.1, true), Some(12.98));
    }

    #[test]
    fn adult_intake_20_follows_the_published_path_for_sessions_1_to_9() {
        let path: Vec<f64> = expected_path(20.0, false, 9, 9)
            .map(|t| t.path)
            .unwrap_or_default()
            .into_iter()
            .map(|score| (score * 10.0).round() / 10.0)
            .collect();
        assert_eq!(path, [20.0, 23.1, 25.1, 26.4, 27.2, 27.6, 27.8, 27.9, 28.1]);
    }

    #[test]
    fn session_1_shows_the_intake_itself() {
        assert_eq!(EtrModels::PUBLISHED.expected_at(17.3, true, 1, 1), Some(17.3));
    }

    #[test]
    fn intake_above_32_has_no_trajectory() {
        assert_eq!(expected_path(32.1, false, 3, 5), None);
        assert!(expected_path(32.0, false, 3, 5).is_some());
    }

    #[test]
    fn the_curve_is_flat_after_the_flatten_point() {
        assert_eq!(etr(&SHORT_TERM_ADULT, 15.0, 9), etr(&SHORT_TERM_ADULT, 15.0, 30));
    }

    #[test]
    fn long_term_model_applies_after_12_ratings_but_target_stays_short_term() {
        let models = EtrModels::PUBLISHED;
        assert_eq!(models.select(false, 12), &SHORT_TERM_ADULT);
        assert_eq!(models.select(false, 13), &LONG_TERM_ADULT);
        assert_eq!(models.select(true, 13), &LONG_TERM_YOUTH);
        let long = expected_path(20.0, false, 13, 3);
        assert_eq!(
            long.as_ref().and_then(|t| t.path.get(1).copied()),
            Some(etr(&LONG_TERM_ADULT, 20.0, 1))
        );
        assert_eq!(long.map(|t| round2(t.target)), target(20.0, false));
    }
}
