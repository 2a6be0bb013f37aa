//! The product's seniority policy (SENIORITY.md, "the guide") as hand-picked titles in English, German, French and
//! Spanish: every family of the guide in both directions, each title with its expected level and, when senior, the
//! family that decides (tests/classification/policy-titles.csv). Every failure is listed, not just the first.

use std::collections::{BTreeMap, BTreeSet};

use pathfinder_classify::{Classifier, Family, Level};

const RULES: &str = include_str!("../../../config/classification.toml");
const POLICY_TITLES: &str = include_str!("../../../tests/classification/policy-titles.csv");

#[test]
fn every_policy_title_gets_its_expected_level_and_family() {
    let classifier = Classifier::from_toml(RULES).expect("shipped rules compile");
    let mut reader = csv::Reader::from_reader(POLICY_TITLES.as_bytes());
    let mut failures = Vec::new();
    let mut per_language: BTreeMap<String, usize> = BTreeMap::new();
    let mut families_seen: BTreeSet<String> = BTreeSet::new();
    let mut not_senior = 0;
    for record in reader.records() {
        let record = record.expect("valid CSV row");
        let (title, expected, family, language) = (&record[0], &record[1], &record[2], &record[3]);
        *per_language.entry(language.to_string()).or_default() += 1;
        let expected_level = match expected {
            "none" => {
                not_senior += 1;
                None
            }
            level => Some(Level::parse(level).expect("expected is c_suite, vp or none")),
        };
        let result = classifier.classify(title);
        let got_family = result.family.map(Family::as_str).unwrap_or("");
        if !family.is_empty() {
            families_seen.insert(family.to_string());
        }
        if result.seniority != expected_level || (!family.is_empty() && got_family != family) {
            failures.push(format!(
                "{title:?}: expected {expected} {family}, got {:?} {got_family} ({})",
                result.seniority,
                result.reason()
            ));
        }
    }
    let total: usize = per_language.values().sum();
    assert!(total >= 150, "at least 150 policy titles, found {total}");
    for language in ["en", "fr", "de", "es"] {
        assert!(per_language.get(language).copied().unwrap_or(0) >= 25, "too few {language} titles: {per_language:?}");
    }
    assert!(not_senior >= 60, "both directions: only {not_senior} not-senior titles");
    for family in [
        "chief_officer",
        "runs_company",
        "managing_director",
        "owner",
        "founder",
        "partnership_head",
        "board_chair",
        "board_member",
        "vice_president",
        "deputy_of_top",
    ] {
        assert!(families_seen.contains(family), "no senior title of family {family}");
    }
    assert!(failures.is_empty(), "{} of {total} policy titles misclassified:\n{}", failures.len(), failures.join("\n"));
}
