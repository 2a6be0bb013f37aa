//! The ingest metrics (Prometheus names, units in the name).

use std::time::Duration;

/// One finished HTTP request.
pub fn record_request(route: &str, status: u16, elapsed: Duration) {
    let labels = [("route", route.to_string()), ("status", status.to_string())];
    metrics::counter!("pathfinder_ingest_requests_total", &labels).increment(1);
    metrics::histogram!("pathfinder_ingest_request_duration_seconds", "route" => route.to_string())
        .record(elapsed.as_secs_f64());
}

/// One committed (or failed) batch.
pub fn record_batch(rows: usize, commit: Duration, ok: bool) {
    metrics::histogram!("pathfinder_ingest_batch_size_rows").record(rows as f64);
    metrics::histogram!("pathfinder_ingest_commit_duration_seconds").record(commit.as_secs_f64());
    if !ok {
        metrics::counter!("pathfinder_ingest_batch_failures_total").increment(1);
    }
}

/// Outcome of one stored webhook: accepted, duplicate or ignored.
pub fn record_outcome(outcome: &'static str) {
    metrics::counter!("pathfinder_ingest_events_total", "outcome" => outcome).increment(1);
}
