//! The job-title classifier of CaptPathfinder.
//!
//! Rules live in one TOML file (`config/classification.toml`, see its header for how a title is read) and are
//! compiled once into a few combined matchers: one pass rewrites canonical spellings, one blanks false-friend
//! phrases, and one pattern set each tests a segment against every exclusion and every level rule at once. Two
//! whole-text tests come first: no rewrite or rule anywhere means not senior; no rewrite, present marker or exclusion
//! anywhere in a one-segment title means the level rules alone decide, in one more scan.
//!
//! ```
//! let rules = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../config/classification.toml")).unwrap();
//! let classifier = pathfinder_classify::Classifier::from_toml(&rules).unwrap();
//! let result = classifier.classify("Co-Founder & Chief Executive Officer");
//! assert_eq!(result.seniority, Some(pathfinder_classify::Level::CSuite));
//! assert_eq!(result.rule, Some("chief-executive"));
//! ```

mod classification;
mod engine;
mod family;
mod normalize;
mod rules;
mod segments;

pub use classification::{Classification, ExclusionHit};
pub use engine::Classifier;
pub use family::{CSuiteOrNone, CSuiteOrVp, Families, Family, NoneOrVp, Setting};
pub use rules::{Level, RulesError, Scope};
