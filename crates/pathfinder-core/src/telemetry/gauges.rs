//! Gauges read from the database when metrics are scraped, so every service's `/metrics` shows what is worth
//! alerting on: the classifier's queue depth and the age of its oldest waiting event, events parked as failed, and
//! digests and reports by status.
//!
//! Cheap by construction: every query is answered from an index (the partial indexes on pending and failed events,
//! `digests_status_idx`, the small reports table), never by scanning `events_raw`; and the values are read at most
//! once per [`MAX_AGE`] per process, however often and from however many scrapers `/metrics` is fetched.

use std::sync::Mutex;
use std::time::{Duration, Instant};

use tokio_postgres::GenericClient;

/// How long read values are reused before the next scrape reads them again.
pub const MAX_AGE: Duration = Duration::from_secs(5);

/// The queries, each served by an index (a test checks their plans).
pub const PENDING: &str = "SELECT count(*) AS count FROM events_raw WHERE status = 'pending'";
pub const OLDEST_PENDING: &str = "
SELECT coalesce(extract(epoch FROM now() - received_at), 0)::float8 AS age FROM events_raw
WHERE status = 'pending' ORDER BY id LIMIT 1";
pub const FAILED: &str = "SELECT count(*) AS count FROM events_raw WHERE status = 'failed'";
pub const DIGESTS: &str = "SELECT status, count(*) AS count FROM digests GROUP BY status";
pub const REPORTS: &str = "SELECT status, count(*) AS count FROM reports GROUP BY status";

/// When the gauges were last read in this process.
static LAST_READ: Mutex<Option<Instant>> = Mutex::new(None);

/// Refreshes the gauges unless they were read less than [`MAX_AGE`] ago; returns whether it read them. A failure
/// (database away) leaves the previous values and is not an error for the scrape.
pub async fn refresh(client: &impl GenericClient) -> bool {
    {
        let Ok(mut last) = LAST_READ.lock() else { return false };
        if last.is_some_and(|at| at.elapsed() < MAX_AGE) {
            return false;
        }
        *last = Some(Instant::now());
    }
    read(client).await;
    true
}

/// Best effort: a query that fails, or a column that cannot be read (schema drift), leaves its gauge as it was.
async fn read(client: &impl GenericClient) {
    if let Ok(Ok(count)) = client.query_one(PENDING, &[]).await.map(|row| row.try_get::<_, i64>("count")) {
        metrics::gauge!("pathfinder_events_pending").set(count as f64);
    }
    if let Ok(rows) = client.query(OLDEST_PENDING, &[]).await {
        let age = rows.first().map_or(Ok(0.0), |row| row.try_get::<_, f64>("age"));
        if let Ok(age) = age {
            metrics::gauge!("pathfinder_events_oldest_pending_age_seconds").set(age);
        }
    }
    if let Ok(Ok(count)) = client.query_one(FAILED, &[]).await.map(|row| row.try_get::<_, i64>("count")) {
        metrics::gauge!("pathfinder_events_failed").set(count as f64);
    }
    let tables: [(&str, &str, &[&str]); 2] = [
        (DIGESTS, "pathfinder_digests", &["pending", "sending", "sent", "failed"]),
        (REPORTS, "pathfinder_reports", &["pending", "building", "ready", "failed"]),
    ];
    for (query, gauge, statuses) in tables {
        let Ok(rows) = client.query(query, &[]).await else { continue };
        let Ok(counts) = rows
            .iter()
            .map(|r| Ok((r.try_get::<_, String>("status")?, r.try_get::<_, i64>("count")?)))
            .collect::<Result<std::collections::HashMap<_, _>, tokio_postgres::Error>>()
        else {
            continue;
        };
        for status in statuses {
            metrics::gauge!(gauge, "status" => *status).set(counts.get(*status).copied().unwrap_or(0) as f64);
        }
    }
}
