//! The compiled classifier: every pattern of the rules file, compiled once into combined matchers.

use std::borrow::Cow;
use std::cell::RefCell;
use std::panic::{RefUnwindSafe, UnwindSafe};
use std::path::Path;

use regex::{Regex, RegexBuilder};
use regex_automata::meta::Regex as MultiRegex;
use regex_automata::util::pool::{Pool, PoolGuard};
use regex_automata::{Input, MatchKind, PatternSet};

use crate::classification::{Classification, ExclusionHit};
use crate::family::{Families, Family};
use crate::normalize::{MAY_BREAK_SEGMENT, fold_pattern, normalize_into};
use crate::rules::{Level, RulesError, RulesFile, Scope};
use crate::segments::segments;

/// What a blanked phrase leaves in its place: neither a word character nor a segment break, so no rule matches it,
/// word boundaries around it stay, and a segment that held more than a marker ("former" before a blanked "Product
/// Owner") does not read as the marker alone.
const BLANKED: char = '#';

/// The most a thread's normalised-text buffer keeps between titles (titles are at most 1,024 characters at ingest).
const KEPT_BUFFER_BYTES: usize = 4096;

thread_local! {
    static NORMALIZED: RefCell<String> = const { RefCell::new(String::new()) };
}

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
    /// Every pattern that makes a step change the text or drop a segment (canonical rewrites, the present marker,
    /// phrase, segment and person exclusions): a title none of them matches needs only the level rules.
    complications: Set,
    rules: Vec<RuleMeta>,
    exclusions: Vec<ExclusionMeta>,
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
        let present_pattern = fold_pattern(PRESENT_MARKERS);
        let complications = set(file
            .canonical
            .iter()
            .map(|c| c.pattern.as_str())
            .chain(std::iter::once(present_pattern.as_str()))
            .chain(file.exclusions.iter().map(|e| e.pattern.as_str())))?;
        let rules = active
            .iter()
            .map(|(r, level)| RuleMeta { id: r.id.clone(), family: r.family, level: *level, why: r.why.clone() })
            .collect();
        let present = compile(&present_pattern)
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
            complications,
            rules,
            exclusions,
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
        // The normalised text lives in a buffer each thread reuses: the classification borrows none of it.
        NORMALIZED.with_borrow_mut(|normalized| {
            let seen = normalize_into(title, normalized);
            let classification = self.classify_normalized(normalized, seen & MAY_BREAK_SEGMENT == 0);
            // An unusually long title does not keep its memory for the thread's lifetime.
            if normalized.capacity() > KEPT_BUFFER_BYTES {
                *normalized = String::new();
            }
            classification
        })
    }

    /// `unbroken`: the text holds no byte that could break it into segments.
    fn classify_normalized(&self, normalized: &str, unbroken: bool) -> Classification<'_> {
        let exclusions = Vec::new();
        // No rewrite and no rule matches: rewriting cannot create a match, so the title is not senior.
        if !self.interesting.is_match(normalized) {
            return self.not_senior(exclusions);
        }
        // The usual title: nothing to rewrite, cut, blank or exclude, and one segment (the text itself), so a rule
        // matched; the best of the rules matching the text decides.
        if !self.complications.is_match(normalized) && (unbroken || is_one_segment(normalized)) {
            let best = self.best_rule(self.rule_set.matches(normalized).iter().map(|id| id.as_usize()));
            return self.decide(best, false, exclusions);
        }
        self.classify_in_steps(normalized, exclusions)
    }

    /// Every step in turn: canonical rewrites, the present marker, phrase blanking, then each segment alone.
    fn classify_in_steps<'s>(&'s self, normalized: &str, mut exclusions: Vec<ExclusionHit<'s>>) -> Classification<'s> {
        let canonical = self.canonicalize(normalized);
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
        for segment in segments(&text) {
            let segment = segment.trim();
            if segment.is_empty() {
                continue;
            }
            let rule = self.best_rule(self.rule_set.matches(segment).iter().map(|id| id.as_usize()));
            let excluded_by = if self.segment_set.is_match(segment) {
                self.segment_set.matches(segment).iter().next().map(|i| i.as_usize())
            } else {
                None
            };
            // Across segments a higher level wins; at equal level the earlier segment's rule stays.
            if let Some(found) = self.unless_excluded(rule, excluded_by, &mut exclusions, &mut person_excluded) {
                keep_higher(&mut best, found);
            }
        }
        self.decide(best, person_excluded, exclusions)
    }

    /// The highest level among the matching rules `indices` (ascending); at equal level the earlier rule.
    fn best_rule(&self, indices: impl Iterator<Item = usize>) -> Option<(Level, usize)> {
        let mut best: Option<(Level, usize)> = None;
        for index in indices {
            keep_higher(&mut best, (self.rules[index].level, index));
        }
        best
    }

    /// A segment's best rule, unless a segment or person exclusion (`excluded_by`, an index into `segment_ids`)
    /// drops the segment: then the hit is recorded, and a person exclusion on a segment without a rule (a title
    /// such as "Student" or "retired" standing alone) excludes the whole title.
    fn unless_excluded<'s>(
        &'s self,
        rule: Option<(Level, usize)>,
        excluded_by: Option<usize>,
        exclusions: &mut Vec<ExclusionHit<'s>>,
        person_excluded: &mut bool,
    ) -> Option<(Level, usize)> {
        let Some(index) = excluded_by else { return rule };
        let meta = &self.exclusions[self.segment_ids[index]];
        exclusions.push(hit(meta));
        if meta.scope == Scope::Person && rule.is_none() {
            *person_excluded = true;
        }
        None
    }

    fn decide<'s>(
        &'s self,
        best: Option<(Level, usize)>,
        person_excluded: bool,
        exclusions: Vec<ExclusionHit<'s>>,
    ) -> Classification<'s> {
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
            out.extend(std::iter::repeat_n(BLANKED, matched.len()));
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

/// Replaces `best` by `found` when `found` is of a higher level: at equal level the one met first stays.
fn keep_higher(best: &mut Option<(Level, usize)>, found: (Level, usize)) {
    if best.is_none_or(|(best_level, _)| found.0 > best_level) {
        *best = Some(found);
    }
}

/// A text without a segment break is one segment, the text itself.
fn is_one_segment(text: &str) -> bool {
    let mut all = segments(text);
    all.next();
    all.next().is_none()
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
    /// Reused pattern sets (one per thread at a time), so a test allocates nothing.
    found: Pool<PatternSet, NewPatternSet>,
}

type NewPatternSet = Box<dyn Fn() -> PatternSet + Send + Sync + UnwindSafe + RefUnwindSafe>;

impl Set {
    fn is_match(&self, text: &str) -> bool {
        self.regex.is_match(text)
    }

    /// Which patterns match `text`; the set goes back to the pool when the guard drops.
    fn matches(&self, text: &str) -> PoolGuard<'_, PatternSet, NewPatternSet> {
        let mut found = self.found.get();
        found.clear();
        self.regex.which_overlapping_matches(&Input::new(text), &mut found);
        found
    }
}

fn set<'a>(patterns: impl Iterator<Item = &'a str>) -> Result<Set, RulesError> {
    let patterns: Vec<&str> = patterns.collect();
    let regex = MultiRegex::builder()
        .syntax(regex_automata::util::syntax::Config::new().unicode(false))
        .configure(multi_config(MatchKind::All))
        .build_many(&patterns)
        .map_err(|e| RulesError::Pattern { id: "set".into(), message: e.to_string() })?;
    let len = regex.pattern_len();
    Ok(Set { regex, found: Pool::new(Box::new(move || PatternSet::new(len))) })
}
#[cfg(test)]
mod tests;
