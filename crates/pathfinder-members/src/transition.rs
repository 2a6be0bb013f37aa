//! What one event does to a member, given their current state: the pure heart of the classifier.
//!
//! Only current senior executives have a state. A member who becomes senior gets a `new` detection; one who moves
//! vp -> c_suite gets a `promotion`; a demotion, an unchanged level (Discourse resends the whole profile on every
//! save) or a change between non-senior titles writes none; a member who stops being senior loses their state.

use pathfinder_classify::Level;

/// A member's stored state (a row of user_state).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SeniorState {
    pub username: Option<String>,
    pub title: String,
    pub level: Level,
    pub rule: String,
    pub rules_version: String,
    pub last_event_id: i64,
    pub senior_since: chrono::DateTime<chrono::Utc>,
}

/// The classified event.
#[derive(Debug, Clone)]
pub struct Observed<'a> {
    pub event_id: i64,
    pub username: Option<&'a str>,
    pub title: Option<&'a str>,
    pub level: Option<Level>,
    pub rule: Option<&'a str>,
    pub rules_version: &'a str,
    pub at: chrono::DateTime<chrono::Utc>,
}

/// A detection to write.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Detection {
    pub event_id: i64,
    pub level: Level,
    pub previous: Option<Level>,
    pub title: String,
    pub username: Option<String>,
    pub rule: String,
    pub rules_version: String,
}

impl Detection {
    pub fn kind(&self) -> &'static str {
        if self.previous.is_some() { "promotion" } else { "new" }
    }
}

/// Applies one event to `state` (in place) and returns the detection it makes, if any. An event older than the
/// one that set the state changes nothing (it arrived late).
pub fn apply(state: &mut Option<SeniorState>, event: &Observed<'_>) -> Option<Detection> {
    if state.as_ref().is_some_and(|s| event.event_id <= s.last_event_id) {
        return None;
    }
    let (Some(level), Some(title), Some(rule)) = (event.level, event.title, event.rule) else {
        *state = None;
        return None;
    };
    let previous = state.as_ref().map(|s| s.level);
    let senior_since = state.as_ref().map_or(event.at, |s| s.senior_since);
    let username = event.username.map(str::to_owned).or_else(|| state.as_ref().and_then(|s| s.username.clone()));
    *state = Some(SeniorState {
        username: username.clone(),
        title: title.to_owned(),
        level,
        rule: rule.to_owned(),
        rules_version: event.rules_version.to_owned(),
        last_event_id: event.event_id,
        senior_since,
    });
    let detected = match previous {
        None => true,
        Some(before) => level > before,
    };
    detected.then(|| Detection {
        event_id: event.event_id,
        level,
        previous,
        title: title.to_owned(),
        username,
        rule: rule.to_owned(),
        rules_version: event.rules_version.to_owned(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn observed(id: i64, level: Option<Level>, title: &'static str) -> Observed<'static> {
        Observed {
            event_id: id,
            username: Some("ada"),
            title: Some(title),
            level,
            rule: level.map(|_| "rule"),
            rules_version: "v1",
            at: chrono::Utc::now(),
        }
    }

    #[test]
    fn new_senior_promotion_demotion_and_removal() {
        let mut state = None;
        let first = apply(&mut state, &observed(1, Some(Level::Vp), "VP Sales")).expect("new senior");
        assert_eq!((first.kind(), first.level, first.previous), ("new", Level::Vp, None));
        let promoted = apply(&mut state, &observed(2, Some(Level::CSuite), "CEO")).expect("promotion");
        assert_eq!((promoted.kind(), promoted.previous), ("promotion", Some(Level::Vp)));
        assert_eq!(apply(&mut state, &observed(3, Some(Level::Vp), "SVP")), None, "a demotion writes none");
        assert_eq!(state.as_ref().map(|s| s.level), Some(Level::Vp));
        assert_eq!(apply(&mut state, &observed(4, None, "Engineer")), None);
        assert_eq!(state, None, "no longer senior: state removed");
        let again = apply(&mut state, &observed(5, Some(Level::Vp), "VP")).expect("senior again is new");
        assert_eq!(again.kind(), "new");
    }

    #[test]
    fn unchanged_level_writes_no_detection_but_keeps_the_new_title() {
        let mut state = None;
        apply(&mut state, &observed(1, Some(Level::CSuite), "CEO"));
        assert_eq!(apply(&mut state, &observed(2, Some(Level::CSuite), "CEO")), None);
        assert_eq!(apply(&mut state, &observed(3, Some(Level::CSuite), "Chief Executive Officer")), None);
        assert_eq!(state.map(|s| (s.title, s.last_event_id)), Some(("Chief Executive Officer".to_string(), 3)));
    }

    #[test]
    fn a_late_older_event_changes_nothing() {
        let mut state = None;
        apply(&mut state, &observed(5, Some(Level::CSuite), "CEO"));
        assert_eq!(apply(&mut state, &observed(4, None, "Intern")), None);
        assert_eq!(state.map(|s| s.last_event_id), Some(5));
    }

    #[test]
    fn senior_since_survives_promotions() {
        let mut state = None;
        apply(&mut state, &observed(1, Some(Level::Vp), "VP"));
        let since = state.as_ref().map(|s| s.senior_since);
        apply(&mut state, &observed(2, Some(Level::CSuite), "CEO"));
        assert_eq!(state.map(|s| s.senior_since), since);
    }
}
