use super::*;

const SHIPPED: &str = include_str!("../../../../config/classification.toml");

fn shipped() -> Classifier {
    Classifier::from_toml(SHIPPED).expect("shipped rules compile")
}

#[test]
fn reports_the_deciding_rule_version_and_reason() {
    let classifier = shipped();
    let result = classifier.classify("Senior Vice-President, Sales");
    assert_eq!(result.seniority, Some(Level::Vp));
    assert_eq!(result.rule, Some("vice-president"));
    assert_eq!(result.rules_version, classifier.version());
    assert!(result.reason().starts_with("vp by rule vice-president"), "{}", result.reason());
}

#[test]
fn highest_level_wins_across_segments_and_first_rule_within_a_level() {
    let classifier = shipped();
    let result = classifier.classify("VP Sales / Board Member");
    assert_eq!((result.seniority, result.rule), (Some(Level::CSuite), Some("board-member")));
    let result = classifier.classify("CEO & Co-Founder");
    assert_eq!(result.rule, Some("chief-executive"), "chief-executive is written before founder");
}

#[test]
fn exclusions_are_explained() {
    let classifier = shipped();
    let result = classifier.classify("Former CEO, now Product Manager");
    assert_eq!(result.seniority, None);
    let json = result.to_json("Former CEO, now Product Manager");
    assert_eq!(json["seniority"], serde_json::Value::Null);
    assert_eq!(json["rulesVersion"], classifier.version());
    let result = classifier.classify("CEO (retired)");
    assert_eq!(result.exclusions.first().map(|h| h.rule), Some("retired"));
    assert!(result.reason().contains("excluded by retired"), "{}", result.reason());
    let json = result.to_json("CEO (retired)");
    assert_eq!(json["excludedBy"][0]["rule"], "retired");
    assert_eq!(json["excludedBy"][0]["scope"], "person");
}

#[test]
fn empty_and_odd_input_is_not_senior() {
    let classifier = shipped();
    for title in ["", "   ", "-", "///", "\u{0}", "🚀🚀", "ＣＯＯ", "主任"] {
        let result = classifier.classify(title);
        if title == "ＣＯＯ" {
            assert_eq!(result.seniority, Some(Level::CSuite), "full-width letters fold to ASCII");
        } else {
            assert_eq!(result.seniority, None, "{title:?}");
        }
    }
}

#[test]
fn a_bad_pattern_names_its_rule() {
    let rules = r#"
version = "t"
[[rules]]
id = "broken-rule"
family = "vice_president"
level = "vp"
why = "x"
pattern = '(unclosed'
"#;
    let error = Classifier::from_toml(rules).err().expect("must fail").to_string();
    assert!(error.contains("broken-rule"), "{error}");
}

#[test]
fn duplicate_ids_unknown_keys_and_levels_are_rejected() {
    let duplicate = r#"
version = "t"
[[rules]]
id = "a"
family = "vice_president"
level = "vp"
why = "x"
pattern = 'vp'
[[rules]]
id = "a"
family = "chief_officer"
level = "c_suite"
why = "x"
pattern = 'ceo'
"#;
    assert!(Classifier::from_toml(duplicate).err().expect("fails").to_string().contains("used twice"));
    let unknown_level = "version = \"t\"\n[[rules]]\nid = \"a\"\nfamily = \"vice_president\"\nlevel = \"director\"\nwhy = \"x\"\npattern = 'x'\n";
    assert!(Classifier::from_toml(unknown_level).is_err());
    let typo_key = "version = \"t\"\n[[rules]]\nid = \"a\"\nfamily = \"vice_president\"\nlevel = \"vp\"\nwhy = \"x\"\npatern = 'x'\n";
    assert!(Classifier::from_toml(typo_key).is_err());
    assert!(
        Classifier::from_toml(
            "version = \"\"\n[[rules]]\nid=\"a\"\nfamily=\"vice_president\"\nlevel=\"vp\"\nwhy=\"x\"\npattern='x'\n"
        )
        .is_err()
    );
}

#[test]
fn an_operator_rule_change_takes_effect() {
    let rules = SHIPPED.replace(r#"pattern = '\b(vp|svp|evp)s?\b'"#, r#"pattern = '\b(vp|svp|evp|head of)s?\b'"#);
    assert_ne!(rules, SHIPPED, "the replacement must apply");
    let classifier = Classifier::from_toml(&rules).expect("compiles");
    assert_eq!(classifier.classify("Head of Sales").seniority, Some(Level::Vp));
    assert_eq!(shipped().classify("Head of Sales").seniority, None);
}
