//! Unit tests for the flags and change statistics, at each boundary.

use super::*;
use crate::domain::measures::{MeasureId, measure};

const DEFAULTS: FlagSettings = FlagSettings {
    reliable_change: 5.0,
    alliance_cutoff: 36.0,
    alliance_drop: 1.0,
};

fn flag(scores: &[f64]) -> Flag {
    outcome_flag(scores, false, &DEFAULTS).flag
}

fn summary(id: MeasureId, age: AgeGroup, scores: &[f64]) -> ChangeSummary {
    change_summary(measure(id), age, scores)
}

#[test]
fn default_settings_are_the_published_thresholds() {
    assert_eq!(FlagSettings::default(), DEFAULTS);
}

#[test]
fn one_rating_is_grey() {
    assert_eq!(flag(&[20.0]), Flag::Grey);
    assert_eq!(flag(&[]), Flag::Grey);
}

#[test]
fn intake_above_32_is_grey_with_no_trajectory() {
    let result = outcome_flag(&[33.0, 35.0], false, &DEFAULTS);
    assert_eq!(result.flag, Flag::Grey);
    assert!(result.explain.contains("above 32"));
}

// Adult intake 20: expected 26.4 at session 4.
#[test]
fn a_score_at_the_expected_value_is_green() {
    let result = outcome_flag(&[20.0, 22.0, 24.0, 26.4], false, &DEFAULTS);
    assert_eq!(result.flag, Flag::Green);
    assert_eq!(
        result.explain,
        "At session 4 the score of 26.4 is at or above the 26.4 expected by now, so the \
         client is on track."
    );
}

#[test]
fn a_score_just_below_the_expected_value_is_amber() {
    assert_eq!(flag(&[20.0, 22.0, 24.0, 26.3]), Flag::Amber);
}

#[test]
fn a_score_exactly_reliable_change_below_expected_is_amber() {
    assert_eq!(flag(&[20.0, 22.0, 24.0, 21.4]), Flag::Amber);
}

#[test]
fn a_score_more_than_reliable_change_below_expected_is_red() {
    let result = outcome_flag(&[20.0, 22.0, 24.0, 18.0], false, &DEFAULTS);
    assert_eq!(result.flag, Flag::Red);
    assert_eq!(
        result.explain,
        "At session 4 the score of 18.0 is more than 5 points (the reliable change) below \
         the 26.4 expected by now, so the client is at risk of not benefiting."
    );
    assert_eq!(flag(&[20.0, 22.0, 24.0, 21.3]), Flag::Red);
}

#[test]
fn reliable_deterioration_from_intake_is_red() {
    let result = outcome_flag(&[20.0, 15.0], false, &DEFAULTS);
    assert_eq!(result.flag, Flag::Red);
    assert!(result.explain.contains("reliably worse"), "{}", result.explain);
}

#[test]
fn youth_use_the_youth_trajectory() {
    // Youth intake 20 expects 23.6 at session 2, adults 23.1.
    assert_eq!(outcome_flag(&[20.0, 23.2], true, &DEFAULTS).flag, Flag::Amber);
    assert_eq!(outcome_flag(&[20.0, 23.2], false, &DEFAULTS).flag, Flag::Green);
}

#[test]
fn the_reliable_change_setting_moves_the_red_line() {
    let strict = FlagSettings {
        reliable_change: 6.0,
        ..DEFAULTS
    };
    assert_eq!(
        outcome_flag(&[20.0, 22.0, 24.0, 21.0], false, &strict).flag,
        Flag::Amber
    );
}

#[test]
fn no_alliance_rating_is_grey() {
    assert_eq!(alliance_flag(&[], &DEFAULTS).flag, Flag::Grey);
}

#[test]
fn an_alliance_below_36_is_red() {
    let result = alliance_flag(&[35.9], &DEFAULTS);
    assert_eq!(result.flag, Flag::Red);
    assert_eq!(
        result.explain,
        "The latest alliance rating, 35.9, is below 36, so talk with the client about how \
         the sessions are going."
    );
    assert_eq!(alliance_flag(&[36.0], &DEFAULTS).flag, Flag::Green);
}

#[test]
fn an_alliance_falling_by_one_point_is_red() {
    let result = alliance_flag(&[39.5, 38.5], &DEFAULTS);
    assert_eq!(result.flag, Flag::Red);
    assert!(
        result.explain.contains("fell from 39.5 to 38.5, by 1.0"),
        "{}",
        result.explain
    );
    assert_eq!(alliance_flag(&[39.5, 38.6], &DEFAULTS).flag, Flag::Green);
}

#[test]
fn flags_serialize_lowercase() {
    assert_eq!(serde_json::to_string(&Flag::Amber).ok(), Some("\"amber\"".into()));
    assert_eq!(Flag::Grey.as_str(), "grey");
}

#[test]
fn ors_improvement_of_5_is_reliable() {
    let s = summary(MeasureId::Ors, AgeGroup::Adult, &[15.0, 20.0]);
    assert!(s.reliable_improvement && !s.reliable_deterioration);
    assert!(!summary(MeasureId::Ors, AgeGroup::Adult, &[15.0, 19.9]).reliable_improvement);
    assert!(summary(MeasureId::Ors, AgeGroup::Adult, &[20.0, 15.0]).reliable_deterioration);
}

#[test]
fn phq9_improvement_is_a_fall_of_6() {
    let s = summary(MeasureId::Phq9, AgeGroup::Adult, &[16.0, 10.0]);
    assert!(s.reliable_improvement && !s.reliable_deterioration);
    assert!(summary(MeasureId::Phq9, AgeGroup::Adult, &[10.0, 16.0]).reliable_deterioration);
    assert!(!summary(MeasureId::Gad7, AgeGroup::Adult, &[10.0, 7.0]).reliable_improvement);
}

#[test]
fn crossing_the_ors_cutoff_with_reliable_improvement_is_clinically_significant() {
    assert!(summary(MeasureId::Ors, AgeGroup::Adult, &[25.0, 30.0]).clinically_significant);
    assert!(!summary(MeasureId::Ors, AgeGroup::Adult, &[20.0, 25.0]).clinically_significant);
    // Adolescents' cut-off is 28.
    assert!(!summary(MeasureId::Ors, AgeGroup::Adolescent, &[22.0, 28.0]).clinically_significant);
    assert!(summary(MeasureId::Ors, AgeGroup::Adolescent, &[22.0, 28.1]).clinically_significant);
}

#[test]
fn phq9_recovery_needs_caseness_then_below_with_reliable_improvement() {
    assert!(summary(MeasureId::Phq9, AgeGroup::Adult, &[15.0, 9.0]).clinically_significant);
    assert!(!summary(MeasureId::Phq9, AgeGroup::Adult, &[14.0, 10.0]).clinically_significant);
    assert!(summary(MeasureId::Gad7, AgeGroup::Adult, &[8.0, 4.0]).clinically_significant);
}

#[test]
fn effect_size_uses_the_adult_or_youth_sd() {
    let adult = summary(MeasureId::Ors, AgeGroup::Adult, &[15.0, 22.75]).effect_size;
    assert_eq!(adult, Some(1.0));
    let youth = summary(MeasureId::Cors, AgeGroup::Child, &[15.0, 22.25]).effect_size;
    assert_eq!(youth, Some(1.0));
    assert_eq!(
        summary(MeasureId::Phq9, AgeGroup::Adult, &[15.0, 5.0]).effect_size,
        None
    );
}

#[test]
fn percent_of_expected_is_clamped_to_0_to_100() {
    // Adult intake 19.2: target 27.23, expected change 8.03.
    let half = summary(MeasureId::Ors, AgeGroup::Adult, &[19.2, 23.2]).percent_of_expected;
    assert_eq!(half.map(f64::round), Some(50.0));
    let over = summary(MeasureId::Ors, AgeGroup::Adult, &[19.2, 35.0]);
    assert_eq!(over.percent_of_expected, Some(100.0));
    let worse = summary(MeasureId::Ors, AgeGroup::Adult, &[19.2, 15.0]);
    assert_eq!(worse.percent_of_expected, Some(0.0));
    assert_eq!(
        summary(MeasureId::Srs, AgeGroup::Adult, &[30.0, 38.0]).percent_of_expected,
        None
    );
}

#[test]
fn fewer_than_two_ratings_are_excluded() {
    let s = summary(MeasureId::Ors, AgeGroup::Adult, &[20.0]);
    assert_eq!(s.excluded, Some("fewer than 2 ratings"));
    assert!(!s.reliable_improvement);
    assert_eq!(s.effect_size, None);
}

#[test]
fn an_ors_intake_above_32_is_excluded_without_a_trajectory() {
    let s = summary(MeasureId::Ors, AgeGroup::Adult, &[33.0, 36.0]);
    assert_eq!(s.excluded, Some("above 32: no expected trajectory"));
    assert_eq!(s.percent_of_expected, None);
    assert_eq!(
        summary(MeasureId::Srs, AgeGroup::Adult, &[38.0, 39.0]).excluded,
        None
    );
}

#[test]
fn four_alternating_swings_of_6_points_are_a_sawtooth() {
    let s = summary(MeasureId::Ors, AgeGroup::Adult, &[20.0, 26.0, 20.0, 26.0, 20.0]);
    assert!(s.sawtooth);
}

#[test]
fn swings_under_6_points_or_too_few_ratings_are_not_a_sawtooth() {
    assert!(!sawtooth(&[20.0, 25.9, 20.0, 25.9, 20.0], &SAWTOOTH));
    assert!(!sawtooth(&[20.0, 30.0, 20.0, 30.0], &SAWTOOTH));
    assert!(!sawtooth(&[10.0, 16.0, 22.0, 28.0, 34.0], &SAWTOOTH));
}
