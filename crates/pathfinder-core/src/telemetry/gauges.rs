//! Gauges read from the database when metrics are scraped, so every service's `/metrics` shows what is worth
//! alerting on: the classifier's queue depth and the age of its oldest waiting event, events parked as failed, and
//! digests and reports by status.

use tokio_postgres::GenericClient;

const QUEUE: &str = "
SELECT count(*) FILTER (WHERE status = 'pending'),
       coalesce(extract(epoch FROM now() - min(received_at) FILTER (WHERE status = 'pending')), 0)::float8,
       count(*) FILTER (WHERE status = 'failed')
FROM events_raw";

/// Refreshes the gauges; a failure (database away) leaves the previous values and is not an error for the scrape.
pub async fn refresh(client: &impl GenericClient) {
    if let Ok(row) = client.query_one(QUEUE, &[]).await {
        metrics::gauge!("pathfinder_events_pending").set(row.get::<_, i64>(0) as f64);
        metrics::gauge!("pathfinder_events_oldest_pending_age_seconds").set(row.get::<_, f64>(1));
        metrics::gauge!("pathfinder_events_failed").set(row.get::<_, i64>(2) as f64);
    }
    for (table, gauge) in [("digests", "pathfinder_digests"), ("reports", "pathfinder_reports")] {
        let statuses: &[&str] = if table == "digests" {
            &["pending", "sending", "sent", "failed"]
        } else {
            &["pending", "building", "ready", "failed"]
        };
        let query = format!("SELECT status, count(*) FROM {table} GROUP BY status");
        if let Ok(rows) = client.query(&query, &[]).await {
            for status in statuses {
                let count = rows.iter().find(|r| r.get::<_, &str>(0) == *status).map_or(0, |r| r.get::<_, i64>(1));
                metrics::gauge!(gauge, "status" => *status).set(count as f64);
            }
        }
    }
}
