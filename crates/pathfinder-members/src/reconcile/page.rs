//! One page of a pass: read the members (list, then each member's detail), compare each title with the last one
//! known, and commit the events to feed, the members' reconciliation records and the cursor in one transaction.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use pathfinder_core::db::RowExt;
use sha2::{Digest, Sha256};
use tokio_postgres::Transaction;

use super::pass::{self, Claimed};
use super::{PassCounts, ReconcileError, Reconciler};

/// A member as read from Discourse.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReadMember {
    pub user_id: String,
    pub username: Option<String>,
    pub title: Option<String>,
}

/// A page as read.
#[derive(Debug, Clone)]
pub struct PageRead {
    pub page: i32,
    /// Users the list page held (fewer than 100: the last page).
    pub listed: usize,
    /// When the read began: a webhook stored after it is newer than what we read.
    pub read_at: DateTime<Utc>,
    pub members: Vec<ReadMember>,
    /// Staged and system users, and members gone between the list and their detail.
    pub skipped: i32,
}

/// Reads page `page` of pass `pass` (whose lease it renews as it goes).
pub async fn read(reconciler: &Reconciler, pass: i64, page: i32) -> Result<PageRead, ReconcileError> {
    let read_at = Utc::now();
    let listed = reconciler.client.list_page(page).await?;
    let mut read = PageRead { page, listed: listed.len(), read_at, members: Vec::new(), skipped: 0 };
    // The lease is renewed whenever a quarter of it has passed (a page takes two minutes at 50 requests a minute,
    // longer when Discourse asks us to wait).
    let mut renewed = std::time::Instant::now();
    for user in &listed {
        // System users (system -1, discobot -2) and staged users (created by email, never a profile) hold no title.
        if user.id <= 0 || user.staged {
            read.skipped += 1;
            continue;
        }
        if renewed.elapsed() > reconciler.lease / 4 {
            pass::renew(&reconciler.pool, pass, &reconciler.holder, reconciler.lease).await?;
            renewed = std::time::Instant::now();
        }
        match reconciler.client.user(user.id).await? {
            Some(detail) => read.members.push(ReadMember {
                user_id: detail.id.to_string(),
                username: detail.username.clone(),
                title: detail.title(&reconciler.field_id),
            }),
            None => read.skipped += 1,
        }
    }
    Ok(read)
}

/// What is known of a member's title, each with when it was known.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Known {
    /// Their latest raw event (webhook or reconciliation): its value and when it was stored.
    pub event: Option<(Option<String>, DateTime<Utc>)>,
    /// The title hash the last pass recorded, and when.
    pub recorded: Option<(Option<Vec<u8>>, DateTime<Utc>)>,
    /// Their `user_state` title (seniors only), and when it was last updated.
    pub state: Option<(String, DateTime<Utc>)>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// The title read is the last one known.
    Unchanged,
    /// It differs: store it as an event.
    Feed,
    /// A webhook was stored after our read: it is newer than what we read; leave the member alone.
    Newer,
}

/// Compares the title read with the newest of what is known; a member nothing is known about is fed only when the
/// title is senior (a new senior whose webhook was lost), so a first pass does not store every member's title.
pub fn verdict(
    title: Option<&str>,
    known: &Known,
    read_at: DateTime<Utc>,
    is_senior: impl Fn(&str) -> bool,
) -> Verdict {
    if known.event.as_ref().is_some_and(|(_, at)| *at >= read_at) {
        return Verdict::Newer;
    }
    let candidates = [
        known.state.as_ref().map(|(t, at)| (title_hash(Some(t)), *at)),
        known.recorded.clone(),
        known.event.as_ref().map(|(t, at)| (title_hash(t.as_deref()), *at)),
    ];
    // Later candidates win ties: a raw event is the most direct record of a title.
    let newest =
        candidates.into_iter().flatten().fold(None::<(Option<Vec<u8>>, DateTime<Utc>)>, |best, c| match best {
            Some(b) if b.1 > c.1 => Some(b),
            _ => Some(c),
        });
    match newest {
        Some((hash, _)) if hash == title_hash(title) => Verdict::Unchanged,
        Some(_) => Verdict::Feed,
        None if title.is_some_and(is_senior) => Verdict::Feed,
        None => Verdict::Unchanged,
    }
}

/// SHA-256 of a title; `None` for no title.
pub fn title_hash(title: Option<&str>) -> Option<Vec<u8>> {
    title.map(|t| Sha256::digest(t.as_bytes()).to_vec())
}

const OPTED_OUT: &str = "
SELECT u FROM unnest($1::text[]) AS m(u)
WHERE EXISTS (SELECT 1 FROM member_opt_outs)
  AND EXISTS (SELECT 1 FROM member_opt_outs o WHERE o.source = 'discourse' AND o.member_hash = pf_member_hash(u))";

const LATEST_EVENTS: &str = "
SELECT DISTINCT ON (user_id) user_id, value, received_at FROM events_raw
WHERE source = 'discourse' AND user_id = ANY($1) ORDER BY user_id, id DESC";

const RECORDED: &str =
    "SELECT user_id, title_sha256, recorded_at FROM reconcile_titles WHERE source = 'discourse' AND user_id = ANY($1)";

const STATES: &str =
    "SELECT user_id, title, updated_at FROM user_state WHERE source = 'discourse' AND user_id = ANY($1)";

/// Stored as a webhook would be: a dedupe key of its own per pass and member, so a page applied twice (it cannot
/// be: the cursor commits with it) would still store one event.
const FEED: &str = "
WITH input AS (
    SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[]) AS t(dedupe_key, user_id, username, value)
),
claimed AS (
    INSERT INTO webhook_deliveries (dedupe_key, event_id, source, user_id, by_body_hash, received_at)
    SELECT dedupe_key, nextval(pg_get_serial_sequence('events_raw', 'id')), 'discourse', user_id, false, now()
    FROM input
    ON CONFLICT (dedupe_key) DO NOTHING
    RETURNING dedupe_key, event_id
)
INSERT INTO events_raw (id, source, dedupe_key, user_id, username, profile_field, value)
SELECT c.event_id, 'discourse', i.dedupe_key, i.user_id, i.username, $5::text, i.value
FROM input i JOIN claimed c USING (dedupe_key)";

const RECORD: &str = "
INSERT INTO reconcile_titles (source, user_id, title_sha256, recorded_at, seen_pass)
SELECT 'discourse', u, h, $3::timestamptz, $4::bigint FROM unnest($1::text[], $2::bytea[]) AS t(u, h)
ON CONFLICT (source, user_id) DO UPDATE SET
    title_sha256 = EXCLUDED.title_sha256, recorded_at = EXCLUDED.recorded_at, seen_pass = EXCLUDED.seen_pass";

const STILL_SEEN: &str = "UPDATE reconcile_titles SET seen_pass = $2 WHERE source = 'discourse' AND user_id = ANY($1)";

/// Compares and writes the page in one transaction with the cursor; returns the page's counts.
pub async fn apply(reconciler: &Reconciler, claimed: &Claimed, read: &PageRead) -> Result<PassCounts, ReconcileError> {
    let mut client = reconciler.pool.get().await?;
    let tx = client.transaction().await?;
    let mut counts = PassCounts { skipped: read.skipped, ..PassCounts::default() };
    let ids: Vec<&str> = read.members.iter().map(|m| m.user_id.as_str()).collect();
    let opted_out: Vec<String> =
        tx.query(OPTED_OUT, &[&ids]).await?.iter().map(|r| r.column("u")).collect::<Result<_, _>>()?;
    let members: Vec<&ReadMember> = read.members.iter().filter(|m| !opted_out.contains(&m.user_id)).collect();
    counts.skipped += i32::try_from(read.members.len() - members.len()).unwrap_or(i32::MAX);
    let known = known_of(&tx, &ids).await?;
    let rules = reconciler.rules.current();
    let is_senior = |title: &str| rules.classify(title).seniority.is_some();
    let (mut feed, mut record, mut newer) = (Vec::new(), Vec::new(), Vec::new());
    for member in members {
        let known = known.get(&member.user_id).cloned().unwrap_or_default();
        match verdict(member.title.as_deref(), &known, read.read_at, is_senior) {
            Verdict::Newer => {
                counts.skipped += 1;
                newer.push(member.user_id.as_str());
                continue;
            }
            Verdict::Unchanged => counts.unchanged += 1,
            Verdict::Feed => feed.push(member),
        }
        counts.members += 1;
        record.push(member);
    }
    counts.fed = feed_events(&tx, reconciler, claimed.id, &feed).await?;
    let record_ids: Vec<&str> = record.iter().map(|m| m.user_id.as_str()).collect();
    let hashes: Vec<Option<Vec<u8>>> = record.iter().map(|m| title_hash(m.title.as_deref())).collect();
    tx.execute(RECORD, &[&record_ids, &hashes, &read.read_at, &claimed.id]).await?;
    tx.execute(STILL_SEEN, &[&newer, &claimed.id]).await?;
    pass::advance(&tx, claimed.id, &reconciler.holder, reconciler.lease, read.page, &counts).await?;
    tx.commit().await?;
    for (outcome, n) in [("unchanged", counts.unchanged), ("fed", counts.fed), ("skipped", counts.skipped)] {
        metrics::counter!("pathfinder_reconcile_members_total", "outcome" => outcome).increment(n.max(0) as u64);
    }
    tracing::info!(
        page = read.page,
        members = counts.members,
        fed = counts.fed,
        skipped = counts.skipped,
        "reconciliation page applied"
    );
    Ok(counts)
}

async fn known_of(tx: &Transaction<'_>, ids: &[&str]) -> Result<HashMap<String, Known>, ReconcileError> {
    let mut known: HashMap<String, Known> = HashMap::new();
    for row in tx.query(LATEST_EVENTS, &[&ids]).await? {
        known.entry(row.column("user_id")?).or_default().event =
            Some((row.column("value")?, row.column("received_at")?));
    }
    for row in tx.query(RECORDED, &[&ids]).await? {
        known.entry(row.column("user_id")?).or_default().recorded =
            Some((row.column("title_sha256")?, row.column("recorded_at")?));
    }
    for row in tx.query(STATES, &[&ids]).await? {
        known.entry(row.column("user_id")?).or_default().state =
            Some((row.column("title")?, row.column("updated_at")?));
    }
    Ok(known)
}

async fn feed_events(
    tx: &Transaction<'_>,
    reconciler: &Reconciler,
    pass: i64,
    feed: &[&ReadMember],
) -> Result<i32, ReconcileError> {
    if feed.is_empty() {
        return Ok(0);
    }
    let keys: Vec<String> = feed.iter().map(|m| format!("discourse:reconcile:{pass}:{}", m.user_id)).collect();
    let ids: Vec<&str> = feed.iter().map(|m| m.user_id.as_str()).collect();
    let usernames: Vec<Option<&str>> = feed.iter().map(|m| m.username.as_deref()).collect();
    let values: Vec<Option<&str>> = feed.iter().map(|m| m.title.as_deref()).collect();
    let stored = tx.execute(FEED, &[&keys, &ids, &usernames, &values, &reconciler.profile_field]).await?;
    Ok(i32::try_from(stored).unwrap_or(i32::MAX))
}

#[cfg(test)]
mod tests {
    use chrono::Duration;

    use super::*;

    fn at(minutes_ago: i64) -> DateTime<Utc> {
        DateTime::<Utc>::from_timestamp(1_800_000_000, 0).expect("time") - Duration::minutes(minutes_ago)
    }

    fn senior(title: &str) -> bool {
        title.contains("CEO") || title.contains("VP")
    }

    #[test]
    fn the_newest_known_title_is_compared() {
        let known = Known {
            event: Some((Some("VP Sales".into()), at(60))),
            recorded: Some((title_hash(Some("Engineer")), at(120))),
            state: None,
        };
        assert_eq!(verdict(Some("VP Sales"), &known, at(0), senior), Verdict::Unchanged);
        assert_eq!(verdict(Some("CEO"), &known, at(0), senior), Verdict::Feed);
        let recorded_later = Known { recorded: Some((title_hash(Some("CEO")), at(30))), ..known.clone() };
        assert_eq!(verdict(Some("CEO"), &recorded_later, at(0), senior), Verdict::Unchanged);
        assert_eq!(verdict(None, &recorded_later, at(0), senior), Verdict::Feed, "a cleared title is a change");
    }

    #[test]
    fn a_webhook_after_our_read_wins() {
        let known = Known { event: Some((Some("CEO".into()), at(0))), ..Known::default() };
        assert_eq!(verdict(Some("VP Sales"), &known, at(1), senior), Verdict::Newer);
    }

    #[test]
    fn a_member_nothing_is_known_about_is_fed_only_when_senior() {
        assert_eq!(verdict(Some("CEO"), &Known::default(), at(0), senior), Verdict::Feed);
        assert_eq!(verdict(Some("Engineer"), &Known::default(), at(0), senior), Verdict::Unchanged);
        assert_eq!(verdict(None, &Known::default(), at(0), senior), Verdict::Unchanged);
        let imported = Known { state: Some(("VP Sales".into(), at(500))), ..Known::default() };
        assert_eq!(verdict(Some("VP Sales"), &imported, at(0), senior), Verdict::Unchanged);
        assert_eq!(verdict(Some("Chief Executive Officer"), &imported, at(0), senior), Verdict::Feed);
    }
}
