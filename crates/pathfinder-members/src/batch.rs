//! Applying claimed events in one transaction.
//!
//! The transaction first takes an advisory lock per member of the batch (in a fixed order), then reads *every*
//! pending event of those members in id order, including ones another worker claimed, and applies them all. So a
//! member's events always apply in the order received, whatever replica claimed them; a worker that later finds
//! its claimed event already processed simply skips it. State, detections and the events' `processed` mark are
//! written by the same commit: a crash before it changes nothing, a crash after it repeats nothing.

use std::collections::{BTreeSet, HashMap};

use chrono::{DateTime, Utc};
use pathfinder_classify::{Classifier, Level};
use tokio_postgres::Transaction;

use crate::transition::{self, Detection, Observed, SeniorState};

/// What one applied batch did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Applied {
    pub events: usize,
    pub detections: usize,
    pub seniors_upserted: usize,
    pub seniors_removed: usize,
}

/// A member as stored: (source, user id). The same id on two sources is two members.
pub type Member = (String, String);

/// One transaction-scoped advisory lock per member (source and id), taken in a fixed order: the order of the lock
/// keys, which sorts as fast as numbers do (sorting the ids as text, under the database's collation, took longer
/// than taking the locks). Shared with `reclassify` and `import`; the erasure in pathfinder-core locks the same key.
pub(crate) const LOCK_MEMBERS: &str = "
SELECT pg_advisory_xact_lock(k)
FROM (SELECT DISTINCT hashtextextended(s || ':' || u, 7370) AS k FROM unnest($1::text[], $2::text[]) AS m(s, u)
      ORDER BY 1) members";

/// Events of opted-out members that arrived before (or while) they opted out: dropped unprocessed, never classified.
const DROP_OPTED_OUT: &str = "
DELETE FROM events_raw e
WHERE (e.source, e.user_id) IN (SELECT * FROM unnest($1::text[], $2::text[])) AND e.status = 'pending'
  AND EXISTS (SELECT 1 FROM member_opt_outs)
  AND EXISTS (SELECT 1 FROM member_opt_outs o WHERE o.source = e.source AND o.member_hash = pf_member_hash(e.user_id))";

const PENDING_OF_MEMBERS: &str = "
SELECT id, source, user_id, username, value, received_at FROM events_raw
WHERE (source, user_id) IN (SELECT * FROM unnest($1::text[], $2::text[])) AND status = 'pending'
ORDER BY id
FOR UPDATE";

const STATES: &str = "
SELECT source, user_id, username, title, seniority, rule, rules_version, last_event_id, senior_since
FROM user_state WHERE (source, user_id) IN (SELECT * FROM unnest($1::text[], $2::text[])) FOR UPDATE";

const DELETE_STATES: &str =
    "DELETE FROM user_state WHERE (source, user_id) IN (SELECT * FROM unnest($1::text[], $2::text[]))";

const UPSERT_STATES: &str = "
INSERT INTO user_state (source, user_id, username, title, seniority, rule, rules_version, last_event_id, senior_since,
                        updated_at)
SELECT *, now() FROM unnest($9::text[], $1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[],
                            $7::bigint[], $8::timestamptz[])
ON CONFLICT (source, user_id) DO UPDATE SET
    username = EXCLUDED.username, title = EXCLUDED.title, seniority = EXCLUDED.seniority, rule = EXCLUDED.rule,
    rules_version = EXCLUDED.rules_version, last_event_id = EXCLUDED.last_event_id,
    senior_since = EXCLUDED.senior_since, updated_at = now()";

/// New detections, each recorded in the audit log (rule, rules version, event id; no personal data).
const INSERT_DETECTIONS: &str = "
WITH inserted AS (
    INSERT INTO detections (event_id, source, user_id, username, title, seniority, previous_seniority, kind, rule,
                            rules_version, detected_at, enrichment_status)
    SELECT *, clock_timestamp(), $10 FROM unnest($1::bigint[], $12::text[], $2::text[], $3::text[], $4::text[],
                                                 $5::text[], $6::text[], $7::text[], $8::text[], $9::text[])
    ON CONFLICT (event_id) DO NOTHING
    RETURNING id, event_id, seniority, kind, rule, rules_version
)
SELECT pf_audit_append('detection', $11, id::text,
                       jsonb_build_object('eventId', event_id, 'seniority', seniority, 'kind', kind, 'rule', rule,
                                          'rulesVersion', rules_version))
FROM (SELECT * FROM inserted ORDER BY id) AS ordered";

const MARK_PROCESSED: &str = "
UPDATE events_raw SET status = 'processed', processed_at = now(), processed_by = $2, locked_by = NULL,
                      locked_until = NULL, last_error = NULL
WHERE id = ANY($1)";

/// Applies every pending event of `members` inside `tx` (which the caller commits).
pub async fn apply_members(
    tx: &Transaction<'_>,
    worker: &str,
    members: &BTreeSet<Member>,
    rules: &Classifier,
    enrich: bool,
) -> Result<Applied, tokio_postgres::Error> {
    let sources: Vec<&str> = members.iter().map(|(s, _)| s.as_str()).collect();
    let ids: Vec<&str> = members.iter().map(|(_, u)| u.as_str()).collect();
    tx.execute(LOCK_MEMBERS, &[&sources, &ids]).await?;
    let dropped = tx.execute(DROP_OPTED_OUT, &[&sources, &ids]).await?;
    if dropped > 0 {
        tracing::info!(events = dropped, "dropped events of opted-out members unprocessed");
    }
    let events = tx.query(PENDING_OF_MEMBERS, &[&sources, &ids]).await?;
    let mut states: HashMap<Member, Option<SeniorState>> = HashMap::with_capacity(members.len());
    for row in tx.query(STATES, &[&sources, &ids]).await? {
        let level = Level::parse(row.try_get("seniority")?).unwrap_or(Level::Vp);
        states.insert(
            (row.try_get("source")?, row.try_get("user_id")?),
            Some(SeniorState {
                username: row.try_get("username")?,
                title: row.try_get("title")?,
                level,
                rule: row.try_get("rule")?,
                rules_version: row.try_get("rules_version")?,
                last_event_id: row.try_get("last_event_id")?,
                senior_since: row.try_get("senior_since")?,
            }),
        );
    }
    let had_state: BTreeSet<Member> = states.keys().cloned().collect();

    let mut detections: Vec<(Member, Detection)> = Vec::new();
    let mut processed: Vec<i64> = Vec::with_capacity(events.len());
    for row in &events {
        let id: i64 = row.try_get("id")?;
        let member: Member = (row.try_get("source")?, row.try_get("user_id")?);
        let username: Option<&str> = row.try_get("username")?;
        let value: Option<&str> = row.try_get("value")?;
        let received_at: DateTime<Utc> = row.try_get("received_at")?;
        let result = value.map(|title| rules.classify(title));
        let observed = Observed {
            event_id: id,
            username,
            title: value,
            level: result.as_ref().and_then(|r| r.seniority),
            rule: result.as_ref().and_then(|r| r.rule),
            rules_version: rules.version(),
            at: received_at,
        };
        let state = states.entry(member.clone()).or_insert(None);
        if let Some(detection) = transition::apply(state, &observed) {
            tracing::info!(event_id = id, source = %member.0, user_id = %member.1, kind = detection.kind(), seniority = detection.level.as_str(), "detection");
            detections.push((member, detection));
        }
        processed.push(id);
    }

    let removed: Vec<&Member> = had_state.iter().filter(|m| states.get(*m).is_some_and(Option::is_none)).collect();
    let kept: Vec<(&Member, &SeniorState)> = states.iter().filter_map(|(m, s)| s.as_ref().map(|s| (m, s))).collect();
    if !removed.is_empty() {
        let sources: Vec<&str> = removed.iter().map(|(s, _)| s.as_str()).collect();
        let ids: Vec<&str> = removed.iter().map(|(_, u)| u.as_str()).collect();
        tx.execute(DELETE_STATES, &[&sources, &ids]).await?;
    }
    if !kept.is_empty() {
        write_states(tx, &kept).await?;
    }
    if !detections.is_empty() {
        write_detections(tx, &detections, if enrich { "pending" } else { "none" }, worker).await?;
    }
    tx.execute(MARK_PROCESSED, &[&processed, &worker]).await?;
    metrics::counter!("pathfinder_classifier_events_processed_total").increment(processed.len() as u64);
    metrics::counter!("pathfinder_classifier_detections_total").increment(detections.len() as u64);
    Ok(Applied {
        events: processed.len(),
        detections: detections.len(),
        seniors_upserted: kept.len(),
        seniors_removed: removed.len(),
    })
}

async fn write_states(tx: &Transaction<'_>, kept: &[(&Member, &SeniorState)]) -> Result<(), tokio_postgres::Error> {
    let sources: Vec<&str> = kept.iter().map(|((s, _), _)| s.as_str()).collect();
    let users: Vec<&str> = kept.iter().map(|((_, u), _)| u.as_str()).collect();
    let usernames: Vec<Option<&str>> = kept.iter().map(|(_, s)| s.username.as_deref()).collect();
    let titles: Vec<&str> = kept.iter().map(|(_, s)| s.title.as_str()).collect();
    let levels: Vec<&str> = kept.iter().map(|(_, s)| s.level.as_str()).collect();
    let rules: Vec<&str> = kept.iter().map(|(_, s)| s.rule.as_str()).collect();
    let versions: Vec<&str> = kept.iter().map(|(_, s)| s.rules_version.as_str()).collect();
    let last: Vec<i64> = kept.iter().map(|(_, s)| s.last_event_id).collect();
    let since: Vec<DateTime<Utc>> = kept.iter().map(|(_, s)| s.senior_since).collect();
    tx.execute(UPSERT_STATES, &[&users, &usernames, &titles, &levels, &rules, &versions, &last, &since, &sources])
        .await?;
    Ok(())
}

async fn write_detections(
    tx: &Transaction<'_>,
    detections: &[(Member, Detection)],
    enrichment_status: &str,
    worker: &str,
) -> Result<(), tokio_postgres::Error> {
    let events: Vec<i64> = detections.iter().map(|(_, d)| d.event_id).collect();
    let sources: Vec<&str> = detections.iter().map(|((s, _), _)| s.as_str()).collect();
    let users: Vec<&str> = detections.iter().map(|((_, u), _)| u.as_str()).collect();
    let usernames: Vec<Option<&str>> = detections.iter().map(|(_, d)| d.username.as_deref()).collect();
    let titles: Vec<&str> = detections.iter().map(|(_, d)| d.title.as_str()).collect();
    let levels: Vec<&str> = detections.iter().map(|(_, d)| d.level.as_str()).collect();
    let previous: Vec<Option<&str>> = detections.iter().map(|(_, d)| d.previous.map(Level::as_str)).collect();
    let kinds: Vec<&str> = detections.iter().map(|(_, d)| d.kind()).collect();
    let rules: Vec<&str> = detections.iter().map(|(_, d)| d.rule.as_str()).collect();
    let versions: Vec<&str> = detections.iter().map(|(_, d)| d.rules_version.as_str()).collect();
    tx.execute(
        INSERT_DETECTIONS,
        &[
            &events,
            &users,
            &usernames,
            &titles,
            &levels,
            &previous,
            &kinds,
            &rules,
            &versions,
            &enrichment_status,
            &format!("classifier:{worker}"),
            &sources,
        ],
    )
    .await?;
    Ok(())
}
