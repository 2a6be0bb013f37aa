//! The result of classifying one title: the level (or none), the rule that decided, and why.

use serde::Serialize;

use crate::family::Family;
use crate::rules::{Level, Scope};

/// An exclusion that fired while reading the title.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ExclusionHit<'a> {
    pub rule: &'a str,
    pub scope: Scope,
    pub why: &'a str,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Classification<'a> {
    /// `Some` when the title says its holder is a senior executive now.
    pub seniority: Option<Level>,
    /// The level rule that decided (when `seniority` is `Some`).
    pub rule: Option<&'a str>,
    /// The guide's family that rule speaks for.
    pub family: Option<Family>,
    /// Why that rule counts, from the rules file.
    pub rule_why: Option<&'a str>,
    /// Exclusions that fired, in the order met.
    pub exclusions: Vec<ExclusionHit<'a>>,
    /// Rules file version.
    pub rules_version: &'a str,
}

impl Classification<'_> {
    /// One sentence saying why the result is what it is.
    pub fn reason(&self) -> String {
        match (self.seniority, self.rule, self.exclusions.first()) {
            (Some(level), Some(rule), _) => {
                format!("{} by rule {rule}: {}", level.as_str(), self.rule_why.unwrap_or(""))
            }
            (None, _, Some(hit)) => format!("not senior: excluded by {} ({})", hit.rule, hit.why),
            _ => "not senior: no rule matched".to_string(),
        }
    }

    /// The JSON object `pathfinder classify` prints.
    pub fn to_json(&self, title: &str) -> serde_json::Value {
        let mut object = serde_json::json!({
            "title": title,
            "seniority": self.seniority.map(Level::as_str),
            "rule": self.rule,
            "rulesVersion": self.rules_version,
            "family": self.family.map(Family::as_str),
            "reason": self.reason(),
        });
        if !self.exclusions.is_empty()
            && let Some(map) = object.as_object_mut()
        {
            map.insert("excludedBy".into(), serde_json::json!(self.exclusions));
        }
        object
    }
}
