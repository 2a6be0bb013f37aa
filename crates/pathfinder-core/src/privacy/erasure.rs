//! Erasing one member from every table, in one transaction.
//!
//! A member is a source and an id (migration V10): the same id on two platforms is two people. An erasure names
//! the id and, optionally, one source; without a source it erases the id on every source and says, per source,
//! whether a member was found there.
//!
//! Removed: raw events and their dedupe keys, the member's `user_state` row, their detections (with the enrichment
//! columns, email and company), their places in digests not yet sent (a digest left empty is deleted; the others
//! shrink), through the detections, their lines in sent digests, and their outbound webhook deliveries (those not yet
//! delivered are dropped, never sent; the count of both is in the audit entry). Reports whose period holds one of the
//! member's detections go back to `pending`, so report-builder rebuilds their files without the member. The
//! member's reconciliation record (`reconcile_titles`: a hash of the last title the Discourse reconciliation saw) is
//! deleted too, counted with the raw events. The erasure is recorded in the audit log (one entry) under the id's
//! salted hash, with counts per source only.
//!
//! Erasure is not a block list: a later webhook for the member is processed as usual, unless `opt_out` also adds
//! the member's hash to `member_opt_outs`, after which ingest answers `ignored` and stores nothing.

use chrono::{DateTime, Utc};
use serde::Serialize;
use tokio_postgres::Transaction;

use crate::member::Source;

/// What one erasure removed (counts only: an erasure's output never repeats the member's data). The counts are
/// totals over the sources erased; `sources` splits the member's own rows per source.
#[derive(Debug, Default, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Erasure {
    pub events: u64,
    pub dedupe_keys: u64,
    pub senior_states: u64,
    pub detections: u64,
    pub unsent_digest_entries: u64,
    pub emptied_digests_deleted: u64,
    pub sent_digest_entries: u64,
    /// Reports sent back to report-builder to be rebuilt without the member.
    pub reports_to_rebuild: u64,
    /// Outbound webhook deliveries of the member not yet delivered (pending or in flight): dropped, never sent.
    pub outbound_pending_dropped: u64,
    /// Every outbound webhook delivery of the member deleted (the pending ones included), with its attempts.
    pub outbound_deliveries_deleted: u64,
    pub opted_out: bool,
    /// How many of the sources erased held a member with this id.
    pub members_found: u64,
    /// One entry per source erased (every source unless one was named).
    pub sources: Vec<SourceErasure>,
    /// Sequence number of the audit entry that records this erasure.
    pub audit_seq: i64,
}

/// The member's own rows removed on one source.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SourceErasure {
    /// `community` or `discourse`.
    #[schema(value_type = String)]
    pub source: Source,
    /// Whether a member with this id existed on this source (any event, dedupe key, state or detection).
    pub found: bool,
    pub events: u64,
    pub dedupe_keys: u64,
    pub senior_states: u64,
    pub detections: u64,
}

/// Serialises with the classifier, which holds the same per-member lock while applying the member's events.
const LOCK_MEMBER: &str = "SELECT pg_advisory_xact_lock(hashtextextended($1 || ':' || $2, 7370))";

const DETECTIONS: &str = "SELECT id, detected_at FROM detections WHERE source = $1 AND user_id = $2 FOR UPDATE";

/// Per digest not yet sent: how many of its entries are the member's, and how many it has.
const UNSENT_DIGESTS: &str = "
WITH locked AS (
    SELECT d.id, d.detection_count FROM digests d
    WHERE d.status <> 'sent' AND d.id IN (SELECT digest_id FROM digest_items WHERE detection_id = ANY($1))
    ORDER BY d.id
    FOR UPDATE
)
SELECT l.id, (SELECT count(*)::int FROM digest_items i WHERE i.digest_id = l.id AND i.detection_id = ANY($1)) AS mine,
       l.detection_count
FROM locked l ORDER BY l.id";

const DELETE_DIGESTS: &str = "DELETE FROM digests WHERE id = ANY($1)";

const SHRINK_DIGEST: &str = "
UPDATE digests SET detection_count = detection_count - $2 WHERE id = $1";

const SENT_ENTRIES: &str = "
SELECT count(*) AS count FROM digest_items i JOIN digests d ON d.id = i.digest_id
WHERE i.detection_id = ANY($1) AND d.status = 'sent'";

/// Reports (ready, failed or already pending) whose period holds one of the member's detections.
const REBUILD_REPORTS: &str = "
UPDATE reports r SET status = 'pending', attempts = 0, next_attempt_at = now(), locked_by = NULL, locked_until = NULL,
                     last_error = NULL
WHERE r.status <> 'building'
  AND EXISTS (SELECT 1 FROM unnest($1::timestamptz[]) AS t(at) WHERE t.at >= r.period_start AND t.at < r.period_end)";

/// The member's outbound webhook deliveries (they carry the member's data): (not yet delivered, all).
const DELETE_OUTBOUND: &str = "
WITH gone AS (DELETE FROM outbound_deliveries WHERE source = $1 AND user_id = $2 RETURNING status)
SELECT count(*) FILTER (WHERE status IN ('pending', 'delivering')) AS pending, count(*) AS deleted FROM gone";

const DELETE_DETECTIONS: &str = "DELETE FROM detections WHERE id = ANY($1)";
const DELETE_STATE: &str = "DELETE FROM user_state WHERE source = $1 AND user_id = $2";
const DELETE_EVENTS: &str = "DELETE FROM events_raw WHERE source = $1 AND user_id = $2";
const DELETE_RECONCILE_TITLES: &str = "DELETE FROM reconcile_titles WHERE source = $1 AND user_id = $2";
const DELETE_DEDUPE_KEYS: &str = "DELETE FROM webhook_deliveries WHERE source = $1 AND user_id = $2";
const OPT_OUT: &str =
    "INSERT INTO member_opt_outs (source, member_hash) VALUES ($1, pf_member_hash($2)) ON CONFLICT DO NOTHING";
const AUDIT: &str = "SELECT pf_audit_append('member.erased', $1, pf_member_hash($2), $3) AS seq";

/// Erases `user_id` on `source`, or on every source when `source` is `None` (see the module documentation), inside
/// the caller's transaction `tx`; the caller commits. `actor` is who asked (an admin token's label, `cli:<user>`),
/// recorded in the audit log.
pub async fn forget_member(
    tx: &Transaction<'_>,
    user_id: &str,
    source: Option<Source>,
    opt_out: bool,
    actor: &str,
) -> Result<Erasure, tokio_postgres::Error> {
    let mut erased = Erasure { opted_out: opt_out, ..Erasure::default() };
    let sources = source.map_or_else(|| Source::ALL.to_vec(), |s| vec![s]);
    for source in sources {
        let own = erase_on_source(tx, source, user_id, opt_out, &mut erased).await?;
        erased.members_found += u64::from(own.found);
        erased.sources.push(own);
    }
    if erased.reports_to_rebuild > 0 {
        tx.execute("SELECT pg_notify('pathfinder_reports', '')", &[]).await?;
    }
    let mut details = serde_json::to_value(&erased).unwrap_or_default();
    if let Some(fields) = details.as_object_mut() {
        fields.remove("auditSeq");
    }
    erased.audit_seq = tx.query_one(AUDIT, &[&actor, &user_id, &details]).await?.try_get("seq")?;
    Ok(erased)
}

/// Erases the member (`source`, `user_id`): adds the shared counts (digests, reports) to `erased`, returns the
/// member's own rows.
async fn erase_on_source(
    tx: &Transaction<'_>,
    source: Source,
    user_id: &str,
    opt_out: bool,
    erased: &mut Erasure,
) -> Result<SourceErasure, tokio_postgres::Error> {
    let name = source.as_str();
    tx.execute(LOCK_MEMBER, &[&name, &user_id]).await?;
    let rows = tx.query(DETECTIONS, &[&name, &user_id]).await?;
    let detection_ids: Vec<i64> = rows.iter().map(|r| r.try_get("id")).collect::<Result<_, _>>()?;
    let detected_at: Vec<DateTime<Utc>> = rows.iter().map(|r| r.try_get("detected_at")).collect::<Result<_, _>>()?;
    let mut own = SourceErasure { source, found: false, events: 0, dedupe_keys: 0, senior_states: 0, detections: 0 };

    let outbound = tx.query_one(DELETE_OUTBOUND, &[&name, &user_id]).await?;
    let (pending, deleted): (i64, i64) = (outbound.try_get("pending")?, outbound.try_get("deleted")?);
    erased.outbound_pending_dropped += u64::try_from(pending).unwrap_or(0);
    erased.outbound_deliveries_deleted += u64::try_from(deleted).unwrap_or(0);
    if pending > 0 {
        tracing::info!(source = name, dropped = pending, "erasure: pending outbound deliveries dropped");
    }
    if !detection_ids.is_empty() {
        let mut emptied: Vec<i64> = Vec::new();
        for row in tx.query(UNSENT_DIGESTS, &[&detection_ids]).await? {
            let (digest, mine, total): (i64, i32, i32) =
                (row.try_get("id")?, row.try_get("mine")?, row.try_get("detection_count")?);
            erased.unsent_digest_entries += u64::try_from(mine).unwrap_or(0);
            if mine >= total {
                emptied.push(digest);
            } else {
                tx.execute(SHRINK_DIGEST, &[&digest, &mine]).await?;
            }
        }
        if !emptied.is_empty() {
            erased.emptied_digests_deleted += tx.execute(DELETE_DIGESTS, &[&emptied]).await?;
        }
        let sent: i64 = tx.query_one(SENT_ENTRIES, &[&detection_ids]).await?.try_get("count")?;
        erased.sent_digest_entries += u64::try_from(sent).unwrap_or(0);
        erased.reports_to_rebuild += tx.execute(REBUILD_REPORTS, &[&detected_at]).await?;
        own.detections = tx.execute(DELETE_DETECTIONS, &[&detection_ids]).await?;
    }
    own.senior_states = tx.execute(DELETE_STATE, &[&name, &user_id]).await?;
    own.events = tx.execute(DELETE_EVENTS, &[&name, &user_id]).await?
        + tx.execute(DELETE_RECONCILE_TITLES, &[&name, &user_id]).await?;
    own.dedupe_keys = tx.execute(DELETE_DEDUPE_KEYS, &[&name, &user_id]).await?;
    if opt_out {
        tx.execute(OPT_OUT, &[&name, &user_id]).await?;
    }
    own.found = own.detections + own.senior_states + own.events + own.dedupe_keys > 0;
    erased.detections += own.detections;
    erased.senior_states += own.senior_states;
    erased.events += own.events;
    erased.dedupe_keys += own.dedupe_keys;
    Ok(own)
}
