//! Claiming due deliveries: pending ones whose time has come (or in-flight ones whose worker's lease ran out), of
//! enabled endpoints, never one of a member while an earlier one of the same member and endpoint is still waiting.
//! A detection's body is built (`pf_detection_event`) and kept at its first claim, after its enrichment settled or
//! `enrichment_wait_secs` passed, so every retry sends the same bytes.

use pathfinder_core::db::{QueryError, RowExt};
use pathfinder_core::settings::OutboundSettings;
use tokio_postgres::GenericClient;

const CLAIM: &str = "
WITH due AS (
    SELECT d.id FROM outbound_deliveries d
    JOIN outbound_endpoints e ON e.id = d.endpoint_id AND e.status = 'enabled'
    WHERE ((d.status = 'pending' AND d.next_attempt_at <= now())
           OR (d.status = 'delivering' AND d.locked_until < now()))
      AND NOT EXISTS (SELECT 1 FROM outbound_deliveries p
                      WHERE p.endpoint_id = d.endpoint_id AND p.source = d.source AND p.user_id = d.user_id
                        AND p.id < d.id AND p.status IN ('pending', 'delivering'))
      AND NOT (d.payload IS NULL AND EXISTS (
                   SELECT 1 FROM detections x WHERE x.id = d.detection_id AND x.enrichment_status = 'pending'
                     AND x.detected_at > now() - $3::bigint * interval '1 second'))
    ORDER BY d.next_attempt_at, d.id
    LIMIT $2
    FOR UPDATE OF d SKIP LOCKED
)
UPDATE outbound_deliveries o
SET status = 'delivering', locked_by = $1, locked_until = now() + $4::bigint * interval '1 second',
    attempts = o.attempts + 1,
    payload = COALESCE(o.payload, (SELECT pf_detection_event(x) FROM detections x WHERE x.id = o.detection_id))
FROM due, outbound_endpoints e
WHERE o.id = due.id AND e.id = o.endpoint_id
RETURNING o.id, o.endpoint_id, o.message_id, o.event_type, o.payload::text AS body, o.attempts, e.url, e.secret,
          CASE WHEN e.previous_secret_until > now() THEN e.previous_secret END AS previous_secret";

/// A delivery this worker holds until its lease ends.
#[derive(Debug, Clone)]
pub struct Claimed {
    pub id: i64,
    pub endpoint_id: i64,
    /// The `webhook-id` header.
    pub message_id: String,
    pub event_type: String,
    /// The JSON body, as sent.
    pub body: String,
    /// This attempt's number (1 for the first).
    pub attempt: i32,
    pub url: String,
    /// The endpoint's secret, and during a rotation the previous one (both sign).
    pub secrets: Vec<String>,
}

/// Claims up to `settings.concurrency` due deliveries for `worker`.
pub async fn claim<C: GenericClient + Sync>(
    client: &C,
    worker: &str,
    settings: &OutboundSettings,
) -> Result<Vec<Claimed>, QueryError> {
    let limit = i64::try_from(settings.concurrency).unwrap_or(8);
    let rows = client.query(CLAIM, &[&worker, &limit, &settings.enrichment_wait_secs, &settings.lease_secs]).await?;
    rows.iter()
        .map(|row| {
            let body: Option<String> = row.column("body")?;
            let previous: Option<String> = row.column("previous_secret")?;
            Ok(Claimed {
                id: row.column("id")?,
                endpoint_id: row.column("endpoint_id")?,
                message_id: row.column("message_id")?,
                event_type: row.column("event_type")?,
                body: body.unwrap_or_else(|| "{}".to_owned()),
                attempt: row.column("attempts")?,
                url: row.column("url")?,
                secrets: std::iter::once(row.column("secret")?).chain(previous).collect(),
            })
        })
        .collect()
}
