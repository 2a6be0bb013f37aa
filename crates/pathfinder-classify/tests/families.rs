//! The guide's configurable families (`[families]` in the rules file): each key moves its titles both ways, leaves
//! the others alone, and an unknown key or value is refused with one line naming it.

use pathfinder_classify::{Classifier, Level};

const RULES: &str = include_str!("../../../config/classification.toml");

/// The shipped rules with one `[families]` line changed.
fn with_family(key: &str, value: &str) -> Classifier {
    let default_line = RULES.lines().find(|line| line.starts_with(&format!("{key} = "))).expect("key in shipped file");
    let rules = RULES.replacen(default_line, &format!("{key} = \"{value}\""), 1);
    assert_ne!(rules, RULES, "{key} = {value} must change the file");
    Classifier::from_toml(&rules).expect("compiles")
}

/// A `[families]` key, the value it is changed to, the titles that move, their level before and after the change,
/// and titles that must not move.
struct Case {
    key: &'static str,
    value: &'static str,
    moving: &'static [&'static str],
    before: Option<Level>,
    after: Option<Level>,
    staying: &'static [&'static str],
}

fn level(classifier: &Classifier, title: &str) -> Option<Level> {
    classifier.classify(title).seniority
}

#[test]
fn each_family_moves_its_titles_both_ways_and_no_others() {
    let shipped = Classifier::from_toml(RULES).expect("shipped rules compile");
    let cases = [
        Case {
            key: "managing_director",
            value: "vp",
            moving: &["Managing Director", "MD, Investment Banking", "Managing Director DACH"],
            before: Some(Level::CSuite),
            after: Some(Level::Vp),
            staying: &["Geschäftsführer", "CEO", "Deputy Managing Director"],
        },
        Case {
            key: "owners_and_founders",
            value: "none",
            moving: &["Owner", "Inhaberin", "Co-Founder", "Fondatrice", "Dueño"],
            before: Some(Level::CSuite),
            after: None,
            staying: &["Managing Partner", "CEO & Founder", "Product Owner"],
        },
        Case {
            key: "board_members",
            value: "none",
            moving: &["Board Member", "Aufsichtsrat", "Non-Executive Director", "Consejero independiente"],
            before: Some(Level::CSuite),
            after: None,
            staying: &["Chairman of the Board", "Vorstand", "Executive Board Member"],
        },
        Case {
            key: "partners",
            value: "vp",
            moving: &["Partner", "Gesellschafter", "Partner at Baker McKenzie"],
            before: None,
            after: Some(Level::Vp),
            staying: &["Managing Partner", "Partner Manager", "HR Business Partner", "Associate Partner"],
        },
        Case {
            key: "head_of",
            value: "vp",
            moving: &["Head of Marketing", "Leiter Vertrieb", "Bereichsleiterin IT"],
            before: None,
            after: Some(Level::Vp),
            staying: &["Head Coach", "Teamleiter", "Director of Sales"],
        },
        Case {
            key: "general_manager",
            value: "vp",
            moving: &["General Manager", "General Manager DACH", "Gerente General"],
            before: None,
            after: Some(Level::Vp),
            staying: &["Deputy General Manager", "Assistant General Manager", "Sales Manager"],
        },
    ];
    for Case { key, value, moving, before, after, staying } in cases {
        let changed = with_family(key, value);
        for title in moving {
            assert_eq!(level(&shipped, title), before, "{title:?} with the default {key}");
            assert_eq!(level(&changed, title), after, "{title:?} with {key} = {value}");
        }
        for title in staying {
            assert_eq!(level(&shipped, title), level(&changed, title), "{title:?} must not move with {key} = {value}");
        }
    }
}

#[test]
fn the_reported_family_names_the_deciding_rule() {
    let shipped = Classifier::from_toml(RULES).expect("shipped rules compile");
    let json = shipped.classify("Inhaberin").to_json("Inhaberin");
    assert_eq!(json["family"], "owner");
    assert_eq!(json["rule"], "owner");
    assert_eq!(shipped.classify("Product Owner").to_json("Product Owner")["family"], serde_json::Value::Null);
}

#[test]
fn an_unknown_family_key_or_value_is_refused_in_one_line() {
    let unknown_key = RULES.replacen("head_of = \"none\"", "heads_of = \"none\"", 1);
    let error = Classifier::from_toml(&unknown_key).err().expect("refused").to_string();
    assert!(error.contains("heads_of") && error.contains("unknown key"), "{error}");
    assert_eq!(error.lines().count(), 1, "{error}");

    let unknown_value = RULES.replacen("partners = \"none\"", "partners = \"c_suite\"", 1);
    let error = Classifier::from_toml(&unknown_value).err().expect("refused").to_string();
    assert!(error.contains("partners") && error.contains("\"none\" or \"vp\""), "{error}");
    assert_eq!(error.lines().count(), 1, "{error}");

    let level_on_configurable = RULES.replacen("family = \"owner\"\n", "family = \"owner\"\nlevel = \"c_suite\"\n", 1);
    let error = Classifier::from_toml(&level_on_configurable).err().expect("refused").to_string();
    assert!(error.contains("owners_and_founders"), "{error}");

    let broken_toml = format!("{RULES}\n[families\n");
    let error = Classifier::from_toml(&broken_toml).err().expect("refused").to_string();
    assert_eq!(error.lines().count(), 1, "{error}");
    assert!(error.contains("line "), "{error}");
}
