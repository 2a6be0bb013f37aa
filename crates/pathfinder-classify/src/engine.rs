//! The compiled classifier: every pattern of the rules file, compiled once into combined matchers.

use std::borrow::Cow;
use std::path::Path;

use regex::{Regex, RegexBuilder};
use regex_automata::meta::Regex as MultiRegex;
use regex_automata::{Input, MatchKind, PatternSet};

use crate::classification::{Classification, ExclusionHit};
use crate::family::{Families, Family};
use crate::normalize::{byte_table, fold_pattern, normalize};
use crate::rules::{Level, RulesError, RulesFile, Scope};

/// Where a title splits into segments (one role each). Not at "&" or "and".
const SEGMENT_BREAKS: &str = r"[,;/|()\[\]:]| - | -|- ";

/// Every byte that can start or be part of a segment break (a quick test before splitting), as a lookup table.
const BREAK_BYTES: [bool; 256] = byte_table(b",;/|()[]:-");

/// Words saying "what follows holds now": only the text after the last one counts.
const PRESENT_MARKERS: &str = r"\b(now|currently|actuellement|desormais|aktuell|jetzt|actualmente)\b";

/// Compiled size limit for the combined patterns (bytes); generous, the rules file is small.
const SIZE_LIMIT: usize = 64 << 20;

pub struct Classifier {
    version: String,
    families: Families,
    /// Every canonical rewrite as one multi-pattern regex; a match's pattern id indexes `canonical_replace`.
    canonical: Option<MultiRegex>,
    canonical_replace: Vec<String>,
    /// Every phrase exclusion as one multi-pattern regex; a match's pattern id indexes `phrase_ids`, which
    /// indexes `exclusions`.
    phrases: Option<MultiRegex>,
    phrase_ids: Vec<usize>,
    /// Segment and person exclusions, tested at once per segment; `segment_ids[i]` indexes `exclusions`.
    segment_set: Set,
    segment_ids: Vec<usize>,
    /// Every level rule, tested at once per segment.
    rule_set: Set,
    /// Every canonical rewrite and level rule: a title none of them matches cannot be senior (one scan).
    interesting: Set,
    rules: Vec<RuleMeta>,
    exclusions: Vec<ExclusionMeta>,
    breaks: Regex,
    present: Regex,
}

struct RuleMeta {
    id: String,
    family: Family,
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
        let mut file = RulesFile::parse(text)?;
        // Patterns and replacements spell German transliterations as normalised titles do.
        for canonical in &mut file.canonical {
            canonical.pattern = fold_pattern(&canonical.pattern);
            canonical.replace = fold_pattern(&canonical.replace);
        }
        for exclusion in &mut file.exclusions {
            exclusion.pattern = fold_pattern(&exclusion.pattern);
        }
        for rule in &mut file.rules {
            rule.pattern = fold_pattern(&rule.pattern);
        }
        // A rule of a configurable family takes its level from [families]; "none" leaves it out altogether.
        let active: Vec<(&crate::rules::LevelRule, Level)> = file
            .rules
            .iter()
            .filter_map(|r| match r.family.configured_level(&file.families) {
                Some(configured) => configured.map(|level| (r, level)),
                None => r.level.map(|level| (r, level)),
            })
            .collect();
        if active.is_empty() {
            return Err(RulesError::Invalid("[families] leaves no level rule in force".into()));
        }
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

        let canonical = multi(file.canonical.iter().map(|c| c.pattern.as_str()))?;
        let canonical_replace = file.canonical.iter().map(|c| c.replace.clone()).collect();

        let exclusions: Vec<ExclusionMeta> = file
            .exclusions
            .iter()
            .map(|e| ExclusionMeta { id: e.id.clone(), scope: e.scope, why: e.why.clone() })
            .collect();
        let phrase_ids: Vec<usize> =
            file.exclusions.iter().enumerate().filter(|(_, e)| e.scope == Scope::Phrase).map(|(i, _)| i).collect();
        let phrases = multi(phrase_ids.iter().map(|&i| file.exclusions[i].pattern.as_str()))?;
        let segment_ids: Vec<usize> =
            file.exclusions.iter().enumerate().filter(|(_, e)| e.scope != Scope::Phrase).map(|(i, _)| i).collect();
        let segment_set = set(segment_ids.iter().map(|&i| file.exclusions[i].pattern.as_str()))?;

        let rule_set = set(active.iter().map(|(r, _)| r.pattern.as_str()))?;
        let interesting = set(file
            .canonical
            .iter()
            .map(|c| c.pattern.as_str())
            .chain(active.iter().map(|(r, _)| r.pattern.as_str())))?;
        let rules = active
            .iter()
            .map(|(r, level)| RuleMeta { id: r.id.clone(), family: r.family, level: *level, why: r.why.clone() })
            .collect();
        let breaks =
            compile(SEGMENT_BREAKS).map_err(|message| RulesError::Pattern { id: "segment-breaks".into(), message })?;
        let present = compile(&fold_pattern(PRESENT_MARKERS))
            .map_err(|message| RulesError::Pattern { id: "present-markers".into(), message })?;

        Ok(Self {
            version: file.version,
            families: file.families,
            canonical,
            canonical_replace,
            phrases,
            phrase_ids,
            segment_set,
            segment_ids,
            rule_set,
            interesting,
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

    /// The configurable families as the rules file sets them.
    pub fn families(&self) -> &Families {
        &self.families
    }

    /// Classifies one title.
    pub fn classify(&self, title: &str) -> Classification<'_> {
        let normalized = normalize(title);
        let mut exclusions = Vec::new();
        // No rewrite and no rule matches: rewriting cannot create a match, so the title is not senior.
        if !self.interesting.is_match(&normalized) {
            return self.not_senior(exclusions);
        }
        let canonical = self.canonicalize(&normalized);
        // Later steps only remove text, so a title no level rule matches anywhere cannot be senior.
        if !self.rule_set.is_match(&canonical) {
            return self.not_senior(exclusions);
        }
        let current = match self.present.find_iter(&canonical).last() {
            Some(marker) => &canonical[marker.end()..],
            None => &canonical[..],
        };
        let text = self.blank_phrases(current, &mut exclusions);

        let mut best: Option<(Level, usize)> = None;
        let mut person_excluded = false;
        // Most titles hold no break character: one segment, no need to split.
        let one_segment = !text.bytes().any(|b| BREAK_BYTES[usize::from(b)]);
        let (whole, split) = if one_segment { (Some(&*text), None) } else { (None, Some(self.breaks.split(&text))) };
        for segment in whole.into_iter().chain(split.into_iter().flatten()) {
            let segment = segment.trim();
            if segment.is_empty() {
                continue;
            }
            let rule_matches = self.rule_set.matches(segment);
            let excluded_by = if self.segment_set.is_match(segment) {
                self.segment_set.matches(segment).iter().next().map(|i| self.segment_ids[i.as_usize()])
            } else {
                None
            };
            if let Some(index) = excluded_by {
                let meta = &self.exclusions[index];
                exclusions.push(hit(meta));
                if meta.scope == Scope::Person && rule_matches.is_empty() {
                    person_excluded = true;
                }
                continue;
            }
            for index in rule_matches.iter().map(|id| id.as_usize()) {
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
                family: Some(self.rules[index].family),
                rule_why: Some(&self.rules[index].why),
                exclusions,
                rules_version: &self.version,
            },
            _ => self.not_senior(exclusions),
        }
    }

    fn not_senior<'s>(&'s self, exclusions: Vec<ExclusionHit<'s>>) -> Classification<'s> {
        Classification {
            seniority: None,
            rule: None,
            family: None,
            rule_why: None,
            exclusions,
            rules_version: &self.version,
        }
    }

    fn canonicalize<'t>(&self, text: &'t str) -> Cow<'t, str> {
        let Some(re) = &self.canonical else { return Cow::Borrowed(text) };
        replace_matches(re, text, |pattern, _, out| out.push_str(&self.canonical_replace[pattern]))
    }

    fn blank_phrases<'t, 's>(&'s self, text: &'t str, hits: &mut Vec<ExclusionHit<'s>>) -> Cow<'t, str> {
        let Some(re) = &self.phrases else { return Cow::Borrowed(text) };
        replace_matches(re, text, |pattern, matched, out| {
            hits.push(hit(&self.exclusions[self.phrase_ids[pattern]]));
            out.extend(std::iter::repeat_n(' ', matched.len()));
        })
    }
}

/// Replaces every match of the multi-pattern `re` by what `with(pattern index, matched text, output)` appends;
/// borrows when nothing matched.
fn replace_matches<'t>(re: &MultiRegex, text: &'t str, mut with: impl FnMut(usize, &str, &mut String)) -> Cow<'t, str> {
    let mut out: Option<String> = None;
    let mut last = 0;
    for found in re.find_iter(text) {
        let buffer = out.get_or_insert_with(|| String::with_capacity(text.len() + 8));
        buffer.push_str(&text[last..found.start()]);
        with(found.pattern().as_usize(), &text[found.range()], buffer);
        last = found.end();
    }
    match out {
        Some(mut buffer) => {
            buffer.push_str(&text[last..]);
            Cow::Owned(buffer)
        }
        None => Cow::Borrowed(text),
    }
}

fn hit(meta: &ExclusionMeta) -> ExclusionHit<'_> {
    ExclusionHit { rule: &meta.id, scope: meta.scope, why: &meta.why }
}

/// Patterns match the normalised text with ASCII word boundaries (fast, and the text is mostly ASCII).
fn compile(pattern: &str) -> Result<Regex, String> {
    RegexBuilder::new(pattern).unicode(false).size_limit(SIZE_LIMIT).build().map_err(|e| e.to_string())
}

/// Titles are short: a literal prefilter costs more than the lazy DFA's own scan, so none is used.
fn multi_config(kind: MatchKind) -> regex_automata::meta::Config {
    MultiRegex::config().match_kind(kind).auto_prefilter(false).nfa_size_limit(Some(SIZE_LIMIT))
}

/// Several patterns as one leftmost-first regex whose matches say which pattern matched (no capture groups needed).
fn multi<'a>(patterns: impl Iterator<Item = &'a str>) -> Result<Option<MultiRegex>, RulesError> {
    let patterns: Vec<&str> = patterns.collect();
    if patterns.is_empty() {
        return Ok(None);
    }
    MultiRegex::builder()
        .syntax(regex_automata::util::syntax::Config::new().unicode(false))
        .configure(multi_config(MatchKind::LeftmostFirst))
        .build_many(&patterns)
        .map(Some)
        .map_err(|e| RulesError::Pattern { id: "combined".into(), message: e.to_string() })
}

/// Several patterns tested at once: does any match, and which.
struct Set {
    regex: MultiRegex,
}

impl Set {
    fn is_match(&self, text: &str) -> bool {
        self.regex.is_match(text)
    }

    fn matches(&self, text: &str) -> PatternSet {
        let mut found = PatternSet::new(self.regex.pattern_len());
        self.regex.which_overlapping_matches(&Input::new(text), &mut found);
        found
    }
}

fn set<'a>(patterns: impl Iterator<Item = &'a str>) -> Result<Set, RulesError> {
    let patterns: Vec<&str> = patterns.collect();
    MultiRegex::builder()
        .syntax(regex_automata::util::syntax::Config::new().unicode(false))
        .configure(multi_config(MatchKind::All))
        .build_many(&patterns)
        .map(|regex| Set { regex })
        .map_err(|e| RulesError::Pattern { id: "set".into(), message: e.to_string() })
}
#[cfg(test)]
mod tests;
