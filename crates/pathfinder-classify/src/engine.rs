//! The compiled classifier: every pattern of the rules file, compiled once into combined matchers.

use std::borrow::Cow;
use std::path::Path;

use regex::{Regex, RegexBuilder, RegexSet, RegexSetBuilder};

use crate::classification::{Classification, ExclusionHit};
use crate::normalize::normalize;
use crate::rules::{Level, RulesError, RulesFile, Scope};

/// Where a title splits into segments (one role each). Not at "&" or "and".
const SEGMENT_BREAKS: &str = r"[,;/|()\[\]:]| - | -|- ";

/// Words saying "what follows holds now": only the text after the last one counts.
const PRESENT_MARKERS: &str = r"\b(now|currently|actuellement|desormais|aktuell|jetzt|actualmente)\b";

/// Compiled size limit for the combined patterns (bytes); generous, the rules file is small.
const SIZE_LIMIT: usize = 64 << 20;

pub struct Classifier {
    version: String,
    /// One regex with a named group per canonical rewrite; `canonical_replace[i]` is group `c{i}`'s text.
    canonical: Option<Regex>,
    canonical_replace: Vec<String>,
    /// One regex with a named group per phrase exclusion; `phrase_ids[i]` indexes `exclusions`.
    phrases: Option<Regex>,
    phrase_ids: Vec<usize>,
    /// Segment and person exclusions, tested at once per segment; `segment_ids[i]` indexes `exclusions`.
    segment_set: RegexSet,
    segment_ids: Vec<usize>,
    /// Every level rule, tested at once per segment.
    rule_set: RegexSet,
    rules: Vec<RuleMeta>,
    exclusions: Vec<ExclusionMeta>,
    breaks: Regex,
    present: Regex,
}

struct RuleMeta {
    id: String,
    level: Level,
    why: String,
}

struct ExclusionMeta {
    id: String,
    scope: Scope,
    why: String,
}

impl Classifier {
    /// Reads and compiles a rules file.
    pub fn load(path: &Path) -> Result<Self, RulesError> {
        let text = std::fs::read_to_string(path)
            .map_err(|source| RulesError::Read { path: path.display().to_string(), source })?;
        Self::from_toml(&text)
    }

    /// Compiles rules given as TOML text.
    pub fn from_toml(text: &str) -> Result<Self, RulesError> {
        let file = RulesFile::parse(text)?;
        // Compile each pattern alone first, so an error names its rule.
        let all = file
            .canonical
            .iter()
            .map(|c| (&c.id, &c.pattern))
            .chain(file.exclusions.iter().map(|e| (&e.id, &e.pattern)))
            .chain(file.rules.iter().map(|r| (&r.id, &r.pattern)));
        for (id, pattern) in all {
            compile(pattern).map_err(|message| RulesError::Pattern { id: id.clone(), message })?;
        }

        let canonical = combined(file.canonical.iter().map(|c| c.pattern.as_str()), "c")?;
        let canonical_replace = file.canonical.iter().map(|c| c.replace.clone()).collect();

        let exclusions: Vec<ExclusionMeta> = file
            .exclusions
            .iter()
            .map(|e| ExclusionMeta { id: e.id.clone(), scope: e.scope, why: e.why.clone() })
            .collect();
        let phrase_ids: Vec<usize> =
            file.exclusions.iter().enumerate().filter(|(_, e)| e.scope == Scope::Phrase).map(|(i, _)| i).collect();
        let phrases = combined(phrase_ids.iter().map(|&i| file.exclusions[i].pattern.as_str()), "p")?;
        let segment_ids: Vec<usize> =
            file.exclusions.iter().enumerate().filter(|(_, e)| e.scope != Scope::Phrase).map(|(i, _)| i).collect();
        let segment_set = set(segment_ids.iter().map(|&i| file.exclusions[i].pattern.as_str()))?;

        let rule_set = set(file.rules.iter().map(|r| r.pattern.as_str()))?;
        let rules =
            file.rules.iter().map(|r| RuleMeta { id: r.id.clone(), level: r.level, why: r.why.clone() }).collect();
        let breaks =
            compile(SEGMENT_BREAKS).map_err(|message| RulesError::Pattern { id: "segment-breaks".into(), message })?;
        let present = compile(PRESENT_MARKERS)
            .map_err(|message| RulesError::Pattern { id: "present-markers".into(), message })?;

        Ok(Self {
            version: file.version,
            canonical,
            canonical_replace,
            phrases,
            phrase_ids,
            segment_set,
            segment_ids,
            rule_set,
            rules,
            exclusions,
            breaks,
            present,
        })
    }

    /// The rules file's `version`.
    pub fn version(&self) -> &str {
        &self.version
    }

    /// Classifies one title.
    pub fn classify(&self, title: &str) -> Classification<'_> {
        let normalized = normalize(title);
        let canonical = self.canonicalize(&normalized);
        let mut exclusions = Vec::new();
        let current = match self.present.find_iter(&canonical).last() {
            Some(marker) => &canonical[marker.end()..],
            None => &canonical[..],
        };
        let text = self.blank_phrases(current, &mut exclusions);

        let mut best: Option<(Level, usize)> = None;
        let mut person_excluded = false;
        for segment in self.breaks.split(&text) {
            let segment = segment.trim();
            if segment.is_empty() {
                continue;
            }
            let rule_matches = self.rule_set.matches(segment);
            let excluded_by = self.segment_set.matches(segment).iter().next().map(|i| self.segment_ids[i]);
            if let Some(index) = excluded_by {
                let meta = &self.exclusions[index];
                exclusions.push(hit(meta));
                if meta.scope == Scope::Person && !rule_matches.matched_any() {
                    person_excluded = true;
                }
                continue;
            }
            for index in rule_matches.iter() {
                let level = self.rules[index].level;
                // Higher level wins; at equal level the earlier rule (lower index) stays.
                if best.is_none_or(|(best_level, _)| level > best_level) {
                    best = Some((level, index));
                }
            }
        }
        match best {
            Some((level, index)) if !person_excluded => Classification {
                seniority: Some(level),
                rule: Some(&self.rules[index].id),
                rule_why: Some(&self.rules[index].why),
                exclusions,
                rules_version: &self.version,
            },
            _ => {
                Classification { seniority: None, rule: None, rule_why: None, exclusions, rules_version: &self.version }
            }
        }
    }

    fn canonicalize<'t>(&self, text: &'t str) -> Cow<'t, str> {
        let Some(re) = &self.canonical else { return Cow::Borrowed(text) };
        re.replace_all(text, |caps: &regex::Captures<'_>| {
            (0..self.canonical_replace.len())
                .find(|i| caps.name(&format!("c{i}")).is_some())
                .map(|i| self.canonical_replace[i].clone())
                .unwrap_or_else(|| caps[0].to_string())
        })
    }

    fn blank_phrases<'t>(&'t self, text: &str, hits: &mut Vec<ExclusionHit<'t>>) -> String {
        let Some(re) = &self.phrases else { return text.to_string() };
        re.replace_all(text, |caps: &regex::Captures<'_>| {
            if let Some(i) = (0..self.phrase_ids.len()).find(|i| caps.name(&format!("p{i}")).is_some()) {
                hits.push(hit(&self.exclusions[self.phrase_ids[i]]));
            }
            " ".repeat(caps[0].len())
        })
        .into_owned()
    }
}

fn hit(meta: &ExclusionMeta) -> ExclusionHit<'_> {
    ExclusionHit { rule: &meta.id, scope: meta.scope, why: &meta.why }
}

/// Patterns match the normalised text with ASCII word boundaries (fast, and the text is mostly ASCII).
fn compile(pattern: &str) -> Result<Regex, String> {
    RegexBuilder::new(pattern).unicode(false).size_limit(SIZE_LIMIT).build().map_err(|e| e.to_string())
}

fn combined<'a>(patterns: impl Iterator<Item = &'a str>, prefix: &str) -> Result<Option<Regex>, RulesError> {
    let parts: Vec<String> = patterns.enumerate().map(|(i, p)| format!("(?P<{prefix}{i}>{p})")).collect();
    if parts.is_empty() {
        return Ok(None);
    }
    compile(&parts.join("|")).map(Some).map_err(|message| RulesError::Pattern { id: format!("{prefix}*"), message })
}

fn set<'a>(patterns: impl Iterator<Item = &'a str>) -> Result<RegexSet, RulesError> {
    RegexSetBuilder::new(patterns)
        .unicode(false)
        .size_limit(SIZE_LIMIT)
        .build()
        .map_err(|e| RulesError::Pattern { id: "set".into(), message: e.to_string() })
}

#[cfg(test)]
mod tests;
