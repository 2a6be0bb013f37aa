//! The events_raw queue: claiming under a lease, and what happens to events that fail.

use tokio_postgres::Client;

/// An event claimed by this worker.
#[derive(Debug, Clone)]
pub struct Claimed {
    pub id: i64,
    pub source: String,
    pub user_id: String,
}

const CLAIM: &str = "
UPDATE events_raw e
SET locked_by = $1, locked_until = now() + $2::bigint * interval '1 second', attempts = e.attempts + 1
FROM (SELECT id FROM events_raw
      WHERE status = 'pending' AND (locked_until IS NULL OR locked_until < now())
      ORDER BY id
      LIMIT $3
      FOR UPDATE SKIP LOCKED) c
WHERE e.id = c.id
RETURNING e.id, e.source, e.user_id";

/// Claims up to `limit` of the oldest unclaimed (or lease-expired) pending events. Commits on its own: the lease
/// is what keeps other workers away, and it returns the events to the queue if this worker dies.
pub async fn claim(
    client: &Client,
    worker: &str,
    lease_secs: i64,
    limit: i64,
) -> Result<Vec<Claimed>, tokio_postgres::Error> {
    let rows = client.query(CLAIM, &[&worker, &lease_secs, &limit]).await?;
    rows.iter()
        .map(|r| Ok(Claimed { id: r.try_get("id")?, source: r.try_get("source")?, user_id: r.try_get("user_id")? }))
        .collect()
}

const FAIL: &str = "
UPDATE events_raw
SET status = CASE WHEN attempts >= $2 THEN 'failed' ELSE 'pending' END,
    last_error = $3,
    locked_by = NULL,
    locked_until = CASE WHEN attempts >= $2 THEN NULL
                        ELSE now() + least(300, 2 ^ attempts)::bigint * interval '1 second' END
WHERE id = ANY($1) AND status = 'pending'
RETURNING id, status";

/// Records a failure for these events: parked as `failed` once they reached `max_attempts` tries, otherwise
/// returned to the queue after a growing pause. Returns the ids parked.
pub async fn record_failure(
    client: &Client,
    ids: &[i64],
    max_attempts: i32,
    error: &str,
) -> Result<Vec<i64>, tokio_postgres::Error> {
    let rows = client.query(FAIL, &[&ids, &max_attempts, &error]).await?;
    let mut parked = Vec::new();
    for row in &rows {
        if row.try_get::<_, &str>("status")? == "failed" {
            parked.push(row.try_get("id")?);
        }
    }
    Ok(parked)
}
