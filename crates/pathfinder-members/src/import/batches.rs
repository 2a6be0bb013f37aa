//! The reading half of an import: a blocking thread streams the roster, groups its rows into batches, keeps the
//! last row of a member within a batch (as a later batch would overwrite an earlier one), classifies each row as it
//! is read and hands the batch to the writer ([`super::apply`]) over a bounded channel. So the file is parsed and
//! classified while the previous batch is in the database, and at most [`IN_FLIGHT`] batches wait in memory.

use std::collections::{HashMap, HashSet};
use std::io::Read;
use std::sync::Arc;

use pathfinder_classify::{Classifier, Level};
use tokio::sync::mpsc;

use super::{BATCH_ROWS, BadRow, Format, Roster, RosterError, RowView};

/// Batches read ahead of the writer.
pub const IN_FLIGHT: usize = 2;

/// A member of the file as the rules see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Member {
    pub user_id: String,
    pub username: Option<String>,
    pub title: String,
    /// The level and the rule that decided, when the title is a senior one.
    pub senior: Option<(Level, String)>,
}

/// One batch of distinct members, with what reading it found.
#[derive(Debug, Default)]
pub struct Batch {
    pub members: Vec<Member>,
    /// Rows read so far, this batch's included (progress).
    pub rows_read: u64,
    /// This batch's bad rows, in file order.
    pub bad: Vec<BadRow>,
}

/// Reads `input` on the calling (blocking) thread and sends its batches; stops early when the receiver is gone.
pub fn read(
    input: impl Read,
    format: Format,
    title_field: &str,
    rules: &Classifier,
    batches: &mpsc::Sender<Batch>,
) -> Result<(), RosterError> {
    let mut rows_read = 0;
    let mut members = Vec::with_capacity(BATCH_ROWS);
    let mut bad = Vec::new();
    let mut titles = TitleCache::default();
    let mut roster = Roster::open(input, format, title_field)?;
    while let Some(item) = roster.next_row() {
        rows_read += 1;
        match item {
            Ok(row) => members.push(member(row, rules, &mut titles)),
            Err(row) => bad.push(row),
        }
        if members.len() == BATCH_ROWS {
            let members = last_of_each(std::mem::replace(&mut members, Vec::with_capacity(BATCH_ROWS)));
            let batch = Batch { members, rows_read, bad: std::mem::take(&mut bad) };
            if batches.blocking_send(batch).is_err() {
                return Ok(());
            }
        }
    }
    // The last batch is sent even when empty: it carries the final count and the trailing bad rows.
    let _ = batches.blocking_send(Batch { members: last_of_each(members), rows_read, bad });
    Ok(())
}

/// A row classified; only a senior keeps its username and title (the writer needs nothing else of the others, so
/// four rows in five cost one copy, the member id).
fn member(row: RowView<'_>, rules: &Classifier, titles: &mut TitleCache) -> Member {
    let senior = titles.classify(rules, row.title);
    let (username, title) = match senior {
        Some(_) => (row.username.map(str::to_string), row.title.to_string()),
        None => (None, String::new()),
    };
    Member { user_id: row.user_id.to_string(), username, title, senior }
}

/// The batch's distinct members: the last row of each wins, in the order of those last rows.
fn last_of_each(members: Vec<Member>) -> Vec<Member> {
    let mut seen: HashSet<&str> = HashSet::with_capacity(members.len());
    let mut last: Vec<bool> = members.iter().rev().map(|m| seen.insert(m.user_id.as_str())).collect();
    drop(seen);
    last.reverse();
    members.into_iter().zip(last).filter(|(_, last)| *last).map(|(member, _)| member).collect()
}

/// Titles repeat in a roster ("Software Engineer" thousands of times): the rules' answer for a title is kept, up
/// to [`TitleCache::CAPACITY`] distinct titles (then the cache starts over), so a repeated title is classified
/// once.
#[derive(Default)]
struct TitleCache {
    seen: HashMap<String, Option<(Level, String)>>,
}

impl TitleCache {
    const CAPACITY: usize = 10_000;

    fn classify(&mut self, rules: &Classifier, title: &str) -> Option<(Level, String)> {
        if let Some(known) = self.seen.get(title) {
            return known.clone();
        }
        let result = rules.classify(title);
        let senior = result.seniority.zip(result.rule).map(|(level, rule)| (level, rule.to_string()));
        if self.seen.len() == Self::CAPACITY {
            self.seen.clear();
        }
        self.seen.insert(title.to_string(), senior.clone());
        senior
    }
}

/// Spawns [`read`] of `input` on a blocking thread; the batches arrive on the returned receiver, and the handle
/// says how reading ended.
pub fn spawn<R: Read + Send + 'static>(
    input: R,
    format: Format,
    title_field: String,
    rules: Arc<Classifier>,
) -> (mpsc::Receiver<Batch>, tokio::task::JoinHandle<Result<(), RosterError>>) {
    let (sender, receiver) = mpsc::channel(IN_FLIGHT);
    let reader = tokio::task::spawn_blocking(move || read(input, format, &title_field, &rules, &sender));
    (receiver, reader)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rules() -> Classifier {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../config/classification.toml");
        Classifier::load(std::path::Path::new(path)).expect("rules")
    }

    #[test]
    fn the_last_row_of_a_member_wins_and_titles_are_classified_once_each() {
        let text = "userId,title\na,Software Engineer\nb,Chief Executive Officer\na,VP of Sales\n,CEO\n";
        let (sender, mut receiver) = mpsc::channel(IN_FLIGHT);
        read(text.as_bytes(), Format::Csv, "Job Title", &rules(), &sender).expect("read");
        let batch = receiver.try_recv().expect("one batch");
        let ids: Vec<(&str, bool)> = batch.members.iter().map(|m| (m.user_id.as_str(), m.senior.is_some())).collect();
        assert_eq!(ids, [("b", true), ("a", true)]);
        assert_eq!((batch.rows_read, batch.bad.len()), (4, 1));
    }

    #[test]
    fn a_cached_title_gets_the_rules_own_answer() {
        let rules = rules();
        let mut cache = TitleCache::default();
        for title in ["VP of Sales", "VP of Sales", "Software Engineer", "Software Engineer"] {
            let direct = rules.classify(title);
            let expected = direct.seniority.zip(direct.rule).map(|(level, rule)| (level, rule.to_string()));
            assert_eq!(cache.classify(&rules, title), expected, "{title}");
        }
        assert_eq!(cache.seen.len(), 2);
    }
}
