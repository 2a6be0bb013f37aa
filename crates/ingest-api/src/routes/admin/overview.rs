//! The operator's counts, read by one set of queries for both `GET /admin/stats` and the dashboard: events by
//! status, current seniors by level, detections, digests and reports by status, and the failed ones with their
//! errors. Columns are read by name ([`RowExt::column`]): a schema that drifted is an error (`schema-drift`), not a
//! panic.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use pathfinder_core::db::{QueryError, RowExt};
use serde::Serialize;
use tokio_postgres::GenericClient;
use utoipa::ToSchema;

const COUNTS: &str = "
SELECT (SELECT count(*) FROM events_raw) AS received,
       (SELECT count(*) FROM events_raw WHERE status = 'pending') AS pending,
       (SELECT count(*) FROM events_raw WHERE status = 'processed') AS processed,
       (SELECT count(*) FROM events_raw WHERE status = 'failed') AS failed,
       (SELECT count(*) FROM user_state WHERE seniority = 'c_suite') AS c_suite,
       (SELECT count(*) FROM user_state WHERE seniority = 'vp') AS vp,
       (SELECT count(*) FROM detections) AS detections,
       (SELECT count(*) FROM detections WHERE detected_at > now() - interval '7 days') AS detections_week,
       (SELECT min(received_at) FROM events_raw WHERE status = 'pending') AS oldest_pending";

const DIGESTS_BY_STATUS: &str = "SELECT status, count(*) AS count FROM digests GROUP BY status ORDER BY status";
const REPORTS_BY_STATUS: &str = "SELECT status, count(*) AS count FROM reports GROUP BY status ORDER BY status";

const FAILED_DIGESTS: &str = "
SELECT id, channel, attempts, last_error FROM digests WHERE status = 'failed' ORDER BY id DESC LIMIT $1";

const FAILED_REPORTS: &str = "
SELECT id, to_char(month, 'YYYY-MM') AS month, kind, attempts, last_error FROM reports WHERE status = 'failed'
ORDER BY id DESC LIMIT $1";

/// Events received, by status.
#[derive(Debug, Serialize, ToSchema)]
pub struct EventCounts {
    pub received: i64,
    pub pending: i64,
    pub processed: i64,
    /// Parked after their attempts (the classifier's `max_attempts`).
    pub failed: i64,
}

/// Members who are senior executives now, by level.
#[derive(Debug, Serialize, ToSchema)]
pub struct SeniorCounts {
    pub c_suite: i64,
    pub vp: i64,
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct DetectionCounts {
    pub total: i64,
    #[serde(rename = "last7Days")]
    pub last_7_days: i64,
}

/// The counts of one read.
#[derive(Debug)]
pub struct Counts {
    pub events: EventCounts,
    pub seniors: SeniorCounts,
    pub detections: DetectionCounts,
    /// When the oldest event still waiting for the classifier arrived.
    pub oldest_pending: Option<DateTime<Utc>>,
}

/// A digest that failed for good, with its last error.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct FailedDigest {
    pub id: i64,
    /// `email` or `teams`.
    pub channel: String,
    pub attempts: i32,
    pub last_error: Option<String>,
}

/// A report that failed for good (after its retries), with its last error.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct FailedReport {
    pub id: i64,
    /// `YYYY-MM`.
    pub month: String,
    /// `month_end` or `month_to_date`.
    pub kind: String,
    pub attempts: i32,
    pub last_error: Option<String>,
}

pub async fn counts(client: &impl GenericClient) -> Result<Counts, QueryError> {
    let row = client.query_one(COUNTS, &[]).await?;
    Ok(Counts {
        events: EventCounts {
            received: row.column("received")?,
            pending: row.column("pending")?,
            processed: row.column("processed")?,
            failed: row.column("failed")?,
        },
        seniors: SeniorCounts { c_suite: row.column("c_suite")?, vp: row.column("vp")? },
        detections: DetectionCounts { total: row.column("detections")?, last_7_days: row.column("detections_week")? },
        oldest_pending: row.column("oldest_pending")?,
    })
}

/// Digests by status, e.g. `{"pending": 2, "sent": 40}`.
pub async fn digests_by_status(client: &impl GenericClient) -> Result<BTreeMap<String, i64>, QueryError> {
    by_status(client, DIGESTS_BY_STATUS).await
}

/// Reports by status, e.g. `{"ready": 3}`.
pub async fn reports_by_status(client: &impl GenericClient) -> Result<BTreeMap<String, i64>, QueryError> {
    by_status(client, REPORTS_BY_STATUS).await
}

async fn by_status(client: &impl GenericClient, query: &str) -> Result<BTreeMap<String, i64>, QueryError> {
    client.query(query, &[]).await?.iter().map(|row| Ok((row.column("status")?, row.column("count")?))).collect()
}

/// The newest `limit` failed digests.
pub async fn failed_digests(client: &impl GenericClient, limit: i64) -> Result<Vec<FailedDigest>, QueryError> {
    client
        .query(FAILED_DIGESTS, &[&limit])
        .await?
        .iter()
        .map(|row| {
            Ok(FailedDigest {
                id: row.column("id")?,
                channel: row.column("channel")?,
                attempts: row.column("attempts")?,
                last_error: row.column("last_error")?,
            })
        })
        .collect()
}

/// The newest `limit` failed reports.
pub async fn failed_reports(client: &impl GenericClient, limit: i64) -> Result<Vec<FailedReport>, QueryError> {
    client
        .query(FAILED_REPORTS, &[&limit])
        .await?
        .iter()
        .map(|row| {
            Ok(FailedReport {
                id: row.column("id")?,
                month: row.column("month")?,
                kind: row.column("kind")?,
                attempts: row.column("attempts")?,
                last_error: row.column("last_error")?,
            })
        })
        .collect()
}
