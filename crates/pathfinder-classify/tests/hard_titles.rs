//! Hand-picked hard titles in English, French, German and Spanish (tests/classification/hard-titles.csv), each
//! with its expected level, against the shipped rules file. Every failure is listed, not just the first.

use std::collections::BTreeMap;

use pathfinder_classify::{Classifier, Level};

const RULES: &str = include_str!("../../../config/classification.toml");
const HARD_TITLES: &str = include_str!("../../../tests/classification/hard-titles.csv");

#[test]
fn every_hard_title_gets_its_expected_level() {
    let classifier = Classifier::from_toml(RULES).expect("shipped rules compile");
    let mut reader = csv::Reader::from_reader(HARD_TITLES.as_bytes());
    let mut failures = Vec::new();
    let mut per_language: BTreeMap<String, usize> = BTreeMap::new();
    for record in reader.records() {
        let record = record.expect("valid CSV row");
        let (title, expected, language) = (&record[0], &record[1], &record[2]);
        *per_language.entry(language.to_string()).or_default() += 1;
        let expected = match expected {
            "none" => None,
            level => Some(Level::parse(level).expect("expected is c_suite, vp or none")),
        };
        let result = classifier.classify(title);
        if result.seniority != expected {
            failures.push(format!(
                "{title:?}: expected {expected:?}, got {:?} ({})",
                result.seniority,
                result.reason()
            ));
        }
    }
    let total: usize = per_language.values().sum();
    assert!(total >= 150, "at least 150 hard titles, found {total}");
    for language in ["en", "fr", "de", "es"] {
        assert!(per_language.get(language).copied().unwrap_or(0) >= 15, "too few {language} titles: {per_language:?}");
    }
    assert!(failures.is_empty(), "{} of {total} hard titles misclassified:\n{}", failures.len(), failures.join("\n"));
}
