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
pub const PENDING: &str = "SELECT count(*) FROM events_raw WHERE status = 'pending'";
pub const OLDEST_PENDING: &str = "
SELECT coalesce(extract(epoch FROM now() - received_at), 0)::float8 FROM events_raw
WHERE status = 'pending' ORDER BY id LIMIT 1";
pub const FAILED: &str = "SELECT count(*) FROM events_raw WHERE status = 'failed'";
pub const DIGESTS: &str = "SELECT status, count(*) FROM digests GROUP BY status";
pub const REPORTS: &str = "SELECT status, count(*) FROM reports GROUP BY status";

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

async fn read(client: &impl GenericClient) {
    if let Ok(row) = client.query_one(PENDING, &[]).await {
        metrics::gauge!("pathfinder_events_pending").set(row.get::<_, i64>(0) as f64);
    }
    if let Ok(rows) = client.query(OLDEST_PENDING, &[]).await {
        let age = rows.first().map_or(0.0, |row| row.get::<_, f64>(0));
        metrics::gauge!("pathfinder_events_oldest_pending_age_seconds").set(age);
    }
    if let Ok(row) = client.query_one(FAILED, &[]).await {
        metrics::gauge!("pathfinder_events_failed").set(row.get::<_, i64>(0) as f64);
    }
    let tables: [(&str, &str, &[&str]); 2] = [
        (DIGESTS, "pathfinder_digests", &["pending", "sending", "sent", "failed"]),
        (REPORTS, "pathfinder_reports", &["pending", "building", "ready", "failed"]),
    ];
    for (query, gauge, statuses) in tables {
        if let Ok(rows) = client.query(query, &[]).await {
            for status in statuses {
                let count = rows.iter().find(|r| r.get::<_, &str>(0) == *status).map_or(0, |r| r.get::<_, i64>(1));
                metrics::gauge!(gauge, "status" => *status).set(count as f64);
            }
        }
    }
}
