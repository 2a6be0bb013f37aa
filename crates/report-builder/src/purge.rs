//! Housekeeping: raw events older than `EVENT_RETENTION_DAYS` (processed or failed; a pending event is never
//! dropped) and dedupe keys older than the dedupe window are deleted in batches of a few thousand rows, each its own
//! short transaction, so ingest never waits long behind the purge.

use std::time::Instant;

use pathfinder_core::db::DbPool;

/// Rows deleted per statement.
const BATCH: i64 = 5000;

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Purged {
    pub events: u64,
    pub deliveries: u64,
}

const EVENTS: &str = "
DELETE FROM events_raw WHERE id IN (
    SELECT id FROM events_raw
    WHERE received_at < now() - $1::bigint * interval '1 day' AND status <> 'pending'
    ORDER BY received_at LIMIT $2)";

const DELIVERIES: &str = "
DELETE FROM webhook_deliveries WHERE dedupe_key IN (
    SELECT dedupe_key FROM webhook_deliveries
    WHERE received_at < now() - $1::bigint * interval '1 hour' ORDER BY received_at LIMIT $2)";

pub async fn purge(pool: &DbPool, retention_days: u32, dedupe_window_hours: u32) -> anyhow::Result<Purged> {
    let started = Instant::now();
    let client = pool.get().await?;
    let mut purged = Purged::default();
    let days = i64::from(retention_days);
    loop {
        let deleted = client.execute(EVENTS, &[&days, &BATCH]).await?;
        purged.events += deleted;
        metrics::counter!("pathfinder_purged_events_total").increment(deleted);
        if deleted < BATCH as u64 {
            break;
        }
        tokio::task::yield_now().await;
    }
    // Keys older than the window (and at least the retention) no longer decide anything.
    let hours = i64::from(dedupe_window_hours).max(days * 24);
    loop {
        let deleted = client.execute(DELIVERIES, &[&hours, &BATCH]).await?;
        purged.deliveries += deleted;
        if deleted < BATCH as u64 {
            break;
        }
    }
    tracing::info!(
        events = purged.events,
        dedupe_keys = purged.deliveries,
        duration_ms = started.elapsed().as_millis() as u64,
        "purge finished"
    );
    Ok(purged)
}
