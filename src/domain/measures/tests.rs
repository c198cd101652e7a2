//! Unit tests for the measures: identifiers, figures, bands and item parsing.

use super::*;

fn fields(errors: &[FieldError]) -> Vec<&'static str> {
    errors.iter().map(|error| error.field).collect()
}

fn errors_of(result: Result<Vec<f64>, Vec<FieldError>>) -> Vec<FieldError> {
    result.err().unwrap_or_default()
}

fn message(errors: &[FieldError]) -> &str {
    errors.first().map_or("", |error| error.message.as_str())
}

#[test]
fn measure_ids_parse_their_short_names_and_dashed_forms() {
    for id in MeasureId::all() {
        assert_eq!(MeasureId::parse(id.as_str()), Some(id));
        assert_eq!(measure(id).id, id);
    }
    assert_eq!(MeasureId::parse("PHQ-9"), Some(MeasureId::Phq9));
    assert_eq!(MeasureId::parse("Gad-7"), Some(MeasureId::Gad7));
    assert_eq!(MeasureId::parse("bdi"), None);
}

#[test]
fn measure_ids_serialize_as_short_names() {
    assert_eq!(
        serde_json::to_string(&MeasureId::Phq9).ok(),
        Some("\"phq9\"".into())
    );
}

#[test]
fn item_counts_and_totals_match_the_reference() {
    assert_eq!(measure(MeasureId::Ors).items.len(), 4);
    assert_eq!(measure(MeasureId::Phq9).items.len(), 9);
    assert_eq!(measure(MeasureId::Gad7).items.len(), 7);
    for id in MeasureId::all() {
        let m = measure(id);
        assert_eq!(m.item_max * m.items.len() as f64, m.total_max, "{id:?}");
    }
}

#[test]
fn ors_cutoff_depends_on_age_and_cors_is_28() {
    let ors = measure(MeasureId::Ors);
    assert_eq!(ors.clinical_cutoff(AgeGroup::Adult), Some(25.0));
    assert_eq!(ors.clinical_cutoff(AgeGroup::Adolescent), Some(28.0));
    assert_eq!(
        measure(MeasureId::Cors).clinical_cutoff(AgeGroup::Child),
        Some(28.0)
    );
    assert_eq!(measure(MeasureId::Srs).clinical_cutoff(AgeGroup::Adult), None);
}

#[test]
fn phq9_bands_follow_the_published_ranges() {
    let phq = measure(MeasureId::Phq9);
    assert_eq!(phq.band(4.0), Some("minimal"));
    assert_eq!(phq.band(5.0), Some("mild"));
    assert_eq!(phq.band(14.0), Some("moderate"));
    assert_eq!(phq.band(15.0), Some("moderately severe"));
    assert_eq!(phq.band(27.0), Some("severe"));
    assert_eq!(phq.band(28.0), None);
}

#[test]
fn gad7_and_srs_bands_follow_the_published_ranges() {
    let gad = measure(MeasureId::Gad7);
    assert_eq!(gad.band(9.0), Some("mild"));
    assert_eq!(gad.band(15.0), Some("severe"));
    let srs = measure(MeasureId::Srs);
    assert_eq!(srs.band(34.9), Some("poor"));
    assert_eq!(srs.band(38.5), Some("fair"));
    assert_eq!(srs.band(39.0), Some("good"));
    assert_eq!(measure(MeasureId::Ors).band(20.0), None);
}

#[test]
fn age_groups_get_the_child_or_adult_forms() {
    assert_eq!(outcome_measure_for(AgeGroup::Child), MeasureId::Cors);
    assert_eq!(outcome_measure_for(AgeGroup::Adolescent), MeasureId::Ors);
    assert_eq!(alliance_measure_for(AgeGroup::Child), MeasureId::Csrs);
    assert_eq!(alliance_measure_for(AgeGroup::Adult), MeasureId::Srs);
}

#[test]
fn valid_ors_items_parse_and_total_to_one_decimal() {
    let ors = measure(MeasureId::Ors);
    let items = ors.parse_items(&["7.1", " 10 ", "0", "3,3"]);
    assert_eq!(items, Ok(vec![7.1, 10.0, 0.0, 3.3]));
    assert_eq!(ors.total(&[7.1, 10.0, 0.0, 3.3]), 20.4);
}

#[test]
fn an_ors_item_out_of_range_names_its_field() {
    let errors = errors_of(measure(MeasureId::Ors).parse_items(&["5", "10.1", "5", "5"]));
    assert_eq!(fields(&errors), ["item2"]);
    assert_eq!(
        message(&errors),
        "Interpersonally must be a number from 0.0 to 10.0 with at most one decimal."
    );
}

#[test]
fn an_ors_item_with_two_decimals_is_rejected() {
    let errors = errors_of(measure(MeasureId::Ors).parse_items(&["5.25", "5", "5", "5"]));
    assert_eq!(fields(&errors), ["item1"]);
    assert_eq!(
        measure(MeasureId::Ors).parse_items(&["5.50", "5", "5", "5"]),
        Ok(vec![5.5, 5.0, 5.0, 5.0])
    );
}

#[test]
fn each_missing_item_gets_its_own_error() {
    let errors = errors_of(measure(MeasureId::Srs).parse_items(&["9", " "]));
    assert_eq!(fields(&errors), ["item2", "item3", "item4"]);
    assert_eq!(message(&errors), "Goals and Topics is required.");
}

#[test]
fn non_numbers_signs_and_exponents_are_rejected() {
    let ors = measure(MeasureId::Ors);
    for bad in ["abc", "-1", "+5", "1e1", "NaN", "inf", ".", "5.5.5"] {
        assert!(ors.parse_items(&[bad, "5", "5", "5"]).is_err(), "{bad}");
    }
}

#[test]
fn phq9_items_must_be_whole_numbers_from_0_to_3() {
    let phq = measure(MeasureId::Phq9);
    let mut raw = ["1"; 9];
    assert_eq!(phq.parse_items(&raw), Ok(vec![1.0; 9]));
    raw[2] = "1.5";
    raw[8] = "4";
    let errors = errors_of(phq.parse_items(&raw));
    assert_eq!(fields(&errors), ["item3", "item9"]);
    assert_eq!(message(&errors), "Question 3 must be a whole number from 0 to 3.");
}

#[test]
fn phq9_item_9_above_zero_raises_a_safety_alert() {
    let phq = measure(MeasureId::Phq9);
    let mut items = vec![0.0; 9];
    assert!(!phq.safety_alert(&items));
    items[8] = 1.0;
    assert!(phq.safety_alert(&items));
    assert!(!measure(MeasureId::Gad7).safety_alert(&[3.0; 7]));
}

#[test]
fn a_total_only_is_stored_as_four_equal_items() {
    let ors = measure(MeasureId::Ors);
    let items = ors.from_total("37.3");
    assert_eq!(items, Ok(vec![9.325; 4]));
    assert_eq!(ors.total(&[9.325; 4]), 37.3);
    assert_eq!(ors.from_total("40.1").map_err(|e| e.field), Err("total"));
    assert!(ors.from_total("20.25").is_err());
    assert!(ors.from_total("").is_err());
}

#[test]
fn phq9_and_gad7_refuse_a_total_only() {
    let error = measure(MeasureId::Phq9).from_total("12").err();
    assert_eq!(error.as_ref().map(|e| e.field), Some("total"));
    assert!(error.is_some_and(|e| e.message.contains("enter each item")));
    assert!(measure(MeasureId::Gad7).from_total("12").is_err());
}

#[test]
fn licensing_and_codes_are_attached_to_each_measure() {
    assert!(measure(MeasureId::Cors).copyright.contains("Miller"));
    assert!(
        measure(MeasureId::Phq9)
            .licence
            .contains("No permission required")
    );
    assert_eq!(measure(MeasureId::Gad7).loinc.map(|l| l.total), Some("70274-6"));
    assert_eq!(measure(MeasureId::Srs).reliable_change, None);
}
