//! Job-title classification (`pathfinder_classify::Classifier`) with the shipped rules (config/classification.toml,
//! compiled once) over arbitrary text: the bytes as UTF-8, invalid sequences replaced.
//!
//! Properties, besides "never panics":
//! - deterministic: the same title classifies the same twice, and on a second classifier compiled from the same
//!   rules (no hidden state between calls);
//! - consistent: a level always comes with the rule that decided it and that rule's reason, and `reason()` and
//!   `to_json()` say the same;
//! - case and surrounding spaces of ASCII titles do not matter (the normaliser folds them);
//! - "Former " before a one-role ASCII title (no segment break, no word saying what holds now) is never senior:
//!   the whole title is then one segment, which the `past-role` exclusion (scope "segment") removes.

#![no_main]

use std::sync::LazyLock;

use libfuzzer_sys::fuzz_target;
use pathfinder_classify::Classifier;

const RULES: &str = include_str!("../../config/classification.toml");

/// Every byte where a title may split into segments (engine.rs, SEGMENT_BREAKS), and those the normaliser turns
/// into one (normalize.rs: "~" reads "|", a star after a word the gender marker "/").
const BREAK_BYTES: &[u8] = b",;/|()[]:-~*";
/// The words after which only the rest of the title counts (engine.rs, PRESENT_MARKERS), as substrings of the
/// title with German transliterations folded as the normaliser folds them ("aktuell" reads "aktull").
const PRESENT_WORDS: &[&str] = &["now", "currently", "actullement", "desormais", "aktull", "jetzt", "actualmente"];

/// Drops every "e" after "a", "o" or "u", as normalize.rs does.
fn fold_transliterations(text: &str) -> String {
    let mut folded = String::with_capacity(text.len());
    for c in text.chars() {
        if c == 'e' && folded.ends_with(['a', 'o', 'u']) {
            continue;
        }
        folded.push(c);
    }
    folded
}

static CLASSIFIER: LazyLock<Classifier> = LazyLock::new(compile);
static SECOND: LazyLock<Classifier> = LazyLock::new(compile);

fn compile() -> Classifier {
    Classifier::from_toml(RULES).unwrap_or_else(|e| panic!("the shipped rules must compile: {e}"))
}

fuzz_target!(|data: &[u8]| {
    let title = String::from_utf8_lossy(data);
    let result = CLASSIFIER.classify(&title);

    assert_eq!(result, CLASSIFIER.classify(&title), "classifying twice differs: {title:?}");
    assert_eq!(result, SECOND.classify(&title), "another classifier from the same rules differs: {title:?}");

    assert_eq!(result.seniority.is_some(), result.rule.is_some(), "{title:?}: {result:?}");
    assert_eq!(result.seniority.is_some(), result.rule_why.is_some(), "{title:?}: {result:?}");
    assert_eq!(result.seniority.is_some(), result.family.is_some(), "{title:?}: {result:?}");
    assert_eq!(result.rules_version, CLASSIFIER.version());
    let json = result.to_json(&title);
    assert_eq!(json["seniority"].as_str(), result.seniority.map(|l| l.as_str()));
    assert_eq!(json["reason"].as_str(), Some(result.reason().as_str()));
    assert_eq!(json["family"].as_str(), result.family.map(|f| f.as_str()));
    assert_eq!(json.get("excludedBy").is_some(), !result.exclusions.is_empty());

    if title.is_ascii() {
        let shouted = format!("  {}\t", title.to_ascii_uppercase());
        assert_eq!(result, CLASSIFIER.classify(&shouted), "case or outer spaces changed the result: {title:?}");

        // Dotted abbreviations are joined first ("n.o.w." reads "now"): look for the words without dots and spaces.
        let lower = title.to_ascii_lowercase();
        let lower = if lower.contains('.') { lower.replace(['.', ' '], "") } else { lower };
        let lower = fold_transliterations(&lower);
        let one_role = !title.bytes().any(|b| BREAK_BYTES.contains(&b));
        if one_role && !PRESENT_WORDS.iter().any(|w| lower.contains(w)) {
            let former = format!("Former {title}");
            let excluded = CLASSIFIER.classify(&former);
            assert_eq!(excluded.seniority, None, "{former:?} is senior: {}", excluded.reason());
        }
    }
});
