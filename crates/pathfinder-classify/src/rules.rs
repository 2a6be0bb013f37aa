//! The rules file's shape, and its validation.

use serde::{Deserialize, Serialize};

use crate::family::{Families, Family};

/// Seniority levels, lowest first (so `max` is the most senior).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Level {
    #[serde(rename = "vp")]
    Vp,
    #[serde(rename = "c_suite")]
    CSuite,
}

impl Level {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Vp => "vp",
            Self::CSuite => "c_suite",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "vp" => Some(Self::Vp),
            "c_suite" => Some(Self::CSuite),
            _ => None,
        }
    }
}

/// What an exclusion removes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Scope {
    /// The matched words are blanked out.
    Phrase,
    /// The segment holding the match counts for nothing.
    Segment,
    /// Like `Segment`; when that segment holds no role, the whole title counts for nothing.
    Person,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RulesFile {
    pub version: String,
    /// The guide's configurable families; a key left out keeps its default.
    #[serde(default)]
    pub families: Families,
    #[serde(default)]
    pub canonical: Vec<CanonicalRule>,
    #[serde(default)]
    pub exclusions: Vec<ExclusionRule>,
    pub rules: Vec<LevelRule>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CanonicalRule {
    pub id: String,
    pub pattern: String,
    pub replace: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExclusionRule {
    pub id: String,
    pub scope: Scope,
    pub why: String,
    pub pattern: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LevelRule {
    pub id: String,
    /// The guide's family this rule speaks for.
    pub family: Family,
    /// The level; left out (and refused) for a configurable family, whose level `[families]` sets.
    pub level: Option<Level>,
    pub why: String,
    pub pattern: String,
}

/// A rules file that cannot be used. The message names the rule and what is wrong.
#[derive(Debug, thiserror::Error)]
pub enum RulesError {
    #[error("cannot read rules file {path}")]
    Read {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("rules file: {0}")]
    Toml(String),
    #[error("rule {id}: pattern does not compile: {message}")]
    Pattern { id: String, message: String },
    #[error("rules file: {0}")]
    Invalid(String),
}

impl RulesFile {
    pub fn parse(text: &str) -> Result<Self, RulesError> {
        let table: toml::Table = toml::from_str(text).map_err(|e| RulesError::Toml(one_line(text, &e)))?;
        if let Some(families) = table.get("families") {
            Families::check(families).map_err(RulesError::Invalid)?;
        }
        let file: RulesFile = toml::from_str(text).map_err(|e| RulesError::Toml(one_line(text, &e)))?;
        file.validate()?;
        Ok(file)
    }

    fn validate(&self) -> Result<(), RulesError> {
        if self.version.trim().is_empty() {
            return Err(RulesError::Invalid("version must not be empty".into()));
        }
        if self.rules.is_empty() {
            return Err(RulesError::Invalid("at least one [[rules]] entry is needed".into()));
        }
        let mut seen = std::collections::HashSet::new();
        let ids = self
            .canonical
            .iter()
            .map(|c| &c.id)
            .chain(self.exclusions.iter().map(|e| &e.id))
            .chain(self.rules.iter().map(|r| &r.id));
        for rule in &self.rules {
            match (rule.family.configured_level(&self.families), rule.level) {
                (Some(_), Some(_)) => {
                    return Err(RulesError::Invalid(format!(
                        "rule {}: family {} takes its level from [families] {}; remove `level`",
                        rule.id,
                        rule.family.as_str(),
                        rule.family.setting().map(|s| s.as_str()).unwrap_or_default()
                    )));
                }
                (None, None) => {
                    return Err(RulesError::Invalid(format!(
                        "rule {}: family {} needs a `level` (c_suite or vp)",
                        rule.id,
                        rule.family.as_str()
                    )));
                }
                _ => {}
            }
        }
        for id in ids {
            if id.trim().is_empty() {
                return Err(RulesError::Invalid("every rule needs an id".into()));
            }
            if !seen.insert(id.as_str()) {
                return Err(RulesError::Invalid(format!("rule id {id} is used twice")));
            }
        }
        Ok(())
    }
}

/// A TOML error as one line: where (line number) and what, without the source excerpt.
fn one_line(text: &str, error: &toml::de::Error) -> String {
    let message = error.message().trim().replace('\n', " ");
    match error.span() {
        Some(span) => {
            let line = text[..span.start.min(text.len())].matches('\n').count() + 1;
            format!("line {line}: {message}")
        }
        None => message,
    }
}
