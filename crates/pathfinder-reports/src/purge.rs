//! Housekeeping (the daily `purge-events` job): every retention period of the settings, enforced in batches of a
//! few thousand rows, each its own short transaction, so ingest never waits long behind the purge.
//!
//! - raw events older than `EVENT_RETENTION_DAYS` (processed or failed; a pending event is never dropped) and dedupe
//!   keys older than the dedupe window;
//! - sent digests older than `retention.sent_digest_days`, with their entries and delivery records;
//! - detections older than `retention.detection_days`, except one still waiting in a digest not yet sent;
//! - reports older than `retention.report_days`, their files first, then their rows.
//!
//! A period of 0 keeps that kind of record forever. The run's counts go to the log, the job ledger and the audit log.

use std::time::Instant;

use pathfinder_core::db::{DbPool, RowExt};
use pathfinder_core::privacy::audit;
use pathfinder_core::settings::Settings;
use serde::Serialize;

use crate::storage::ReportStorage;

/// Rows deleted per statement.
const BATCH: i64 = 5000;

/// The retention periods, in days (0: keep forever) and hours for dedupe keys.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Retention {
    pub event_days: u32,
    pub dedupe_window_hours: u32,
    pub sent_digest_days: u32,
    pub detection_days: u32,
    pub report_days: u32,
}

impl Retention {
    pub fn from_settings(settings: &Settings) -> Self {
        Self {
            event_days: settings.event_retention_days,
            dedupe_window_hours: settings.ingest.dedupe_window_hours,
            sent_digest_days: settings.retention.sent_digest_days,
            detection_days: settings.retention.detection_days,
            report_days: settings.retention.report_days,
        }
    }
}

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Purged {
    pub events: u64,
    pub deliveries: u64,
    pub sent_digests: u64,
    pub detections: u64,
    pub reports: u64,
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

/// Entries and delivery records go with their digest (ON DELETE CASCADE).
const SENT_DIGESTS: &str = "
DELETE FROM digests WHERE id IN (
    SELECT id FROM digests
    WHERE status = 'sent' AND sent_at < now() - $1::bigint * interval '1 day' ORDER BY sent_at LIMIT $2)";

const DETECTIONS: &str = "
DELETE FROM detections WHERE id IN (
    SELECT d.id FROM detections d
    WHERE d.detected_at < now() - $1::bigint * interval '1 day'
      AND NOT EXISTS (SELECT 1 FROM digest_items i JOIN digests g ON g.id = i.digest_id
                      WHERE i.detection_id = d.id AND g.status <> 'sent')
    ORDER BY d.detected_at LIMIT $2)";

const OLD_REPORTS: &str = "
SELECT id, csv_uri, html_uri FROM reports
WHERE status IN ('ready', 'failed') AND coalesce(completed_at, requested_at) < now() - $1::bigint * interval '1 day'
ORDER BY id LIMIT $2";

/// A file may be shared by a month's month-end and month-to-date rows: only delete it when no younger row uses it.
const URI_STILL_USED: &str = "
SELECT EXISTS (SELECT 1 FROM reports WHERE NOT (id = ANY($2)) AND (csv_uri = $1 OR html_uri = $1)) AS shared";

const DELETE_REPORTS: &str = "DELETE FROM reports WHERE id = ANY($1)";

pub async fn purge(pool: &DbPool, retention: &Retention, storage: &ReportStorage) -> anyhow::Result<Purged> {
    let started = Instant::now();
    let client = pool.get().await?;
    let mut purged = Purged::default();
    let days = i64::from(retention.event_days);
    purged.events = delete_in_batches(&client, EVENTS, days).await?;
    metrics::counter!("pathfinder_purged_events_total").increment(purged.events);
    // Keys older than the window (and at least the retention) no longer decide anything.
    let hours = i64::from(retention.dedupe_window_hours).max(days * 24);
    purged.deliveries = delete_in_batches(&client, DELIVERIES, hours).await?;
    if retention.sent_digest_days > 0 {
        purged.sent_digests = delete_in_batches(&client, SENT_DIGESTS, i64::from(retention.sent_digest_days)).await?;
    }
    if retention.detection_days > 0 {
        purged.detections = delete_in_batches(&client, DETECTIONS, i64::from(retention.detection_days)).await?;
    }
    if retention.report_days > 0 {
        purged.reports = purge_reports(&client, i64::from(retention.report_days), storage).await?;
    }
    metrics::counter!("pathfinder_purged_records_total", "table" => "digests").increment(purged.sent_digests);
    metrics::counter!("pathfinder_purged_records_total", "table" => "detections").increment(purged.detections);
    metrics::counter!("pathfinder_purged_records_total", "table" => "reports").increment(purged.reports);
    let details = serde_json::to_value(purged)?;
    audit::append(&**client, "retention.purge", "report-builder", None, &details).await?;
    tracing::info!(
        events = purged.events,
        dedupe_keys = purged.deliveries,
        sent_digests = purged.sent_digests,
        detections = purged.detections,
        reports = purged.reports,
        duration_ms = started.elapsed().as_millis() as u64,
        "purge finished"
    );
    Ok(purged)
}

async fn delete_in_batches(client: &tokio_postgres::Client, statement: &str, age: i64) -> anyhow::Result<u64> {
    let mut total = 0;
    loop {
        let deleted = client.execute(statement, &[&age, &BATCH]).await?;
        total += deleted;
        if deleted < BATCH as u64 {
            return Ok(total);
        }
        tokio::task::yield_now().await;
    }
}

/// Files first, then rows: a crash between the two leaves a row whose files are gone, deleted again next time.
async fn purge_reports(client: &tokio_postgres::Client, days: i64, storage: &ReportStorage) -> anyhow::Result<u64> {
    let mut total = 0;
    loop {
        let rows = client.query(OLD_REPORTS, &[&days, &BATCH]).await?;
        if rows.is_empty() {
            return Ok(total);
        }
        let ids: Vec<i64> = rows.iter().map(|r| r.column("id")).collect::<Result<_, _>>()?;
        for row in &rows {
            for uri in [row.column::<Option<String>>("csv_uri")?, row.column("html_uri")?].into_iter().flatten() {
                let shared: bool = client.query_one(URI_STILL_USED, &[&uri, &ids]).await?.column("shared")?;
                if !shared {
                    storage.delete(&uri).await?;
                }
            }
        }
        total += client.execute(DELETE_REPORTS, &[&ids]).await?;
    }
}
