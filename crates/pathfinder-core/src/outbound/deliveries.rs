//! What happened to an endpoint's deliveries (each with its attempts), and a manual resend.

use chrono::{DateTime, Utc};
use serde::Serialize;
use tokio_postgres::{GenericClient, Transaction};

use super::OutboundError;
use crate::db::{RowExt, SchemaDrift};
use crate::privacy::audit;

/// One delivery (an event to an endpoint) and its attempts, newest delivery first.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Delivery {
    pub id: i64,
    pub endpoint_id: i64,
    /// The `webhook-id` header: the same on every attempt.
    pub message_id: String,
    pub event_type: String,
    pub detection_id: Option<i64>,
    pub digest_id: Option<i64>,
    /// `pending`, `delivering`, `delivered` or `failed`.
    pub status: String,
    pub attempts: i32,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub next_attempt_at: Option<DateTime<Utc>>,
    pub last_error: Option<String>,
    #[schema(value_type = String, format = DateTime)]
    pub created_at: DateTime<Utc>,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub delivered_at: Option<DateTime<Utc>>,
    pub attempt_log: Vec<Attempt>,
}

/// One try: what came back (an HTTP status) or why no answer (a refused address, a timeout).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Attempt {
    pub attempt: i32,
    /// `delivered`, `failed` or `refused` (the address was not allowed; no request was made).
    pub outcome: String,
    pub status_code: Option<i32>,
    pub error: Option<String>,
    pub duration_ms: i32,
    #[schema(value_type = String, format = DateTime)]
    pub at: DateTime<Utc>,
}

const DELIVERIES: &str = "
SELECT id, endpoint_id, message_id, event_type, detection_id, digest_id, status, attempts,
       CASE WHEN status = 'pending' THEN next_attempt_at END AS next_attempt_at, last_error, created_at, delivered_at
FROM outbound_deliveries
WHERE endpoint_id = $1 AND ($2::text IS NULL OR status = $2)
ORDER BY id DESC LIMIT $3";

const ATTEMPTS: &str = "
SELECT delivery_id, attempt, outcome, status_code, error, duration_ms, at FROM outbound_attempts
WHERE delivery_id = ANY($1) ORDER BY delivery_id, id";

/// The newest `limit` deliveries of endpoint `endpoint_id` (of one `status` if given), each with its attempts.
pub async fn list<C: GenericClient + Sync>(
    client: &C,
    endpoint_id: i64,
    status: Option<&str>,
    limit: i64,
) -> Result<Vec<Delivery>, OutboundError> {
    super::endpoints::get(client, endpoint_id).await?;
    let rows = client.query(DELIVERIES, &[&endpoint_id, &status, &limit]).await?;
    let mut deliveries: Vec<Delivery> = rows
        .iter()
        .map(|r| {
            Ok(Delivery {
                id: r.column("id")?,
                endpoint_id: r.column("endpoint_id")?,
                message_id: r.column("message_id")?,
                event_type: r.column("event_type")?,
                detection_id: r.column("detection_id")?,
                digest_id: r.column("digest_id")?,
                status: r.column("status")?,
                attempts: r.column("attempts")?,
                next_attempt_at: r.column("next_attempt_at")?,
                last_error: r.column("last_error")?,
                created_at: r.column("created_at")?,
                delivered_at: r.column("delivered_at")?,
                attempt_log: Vec::new(),
            })
        })
        .collect::<Result<_, SchemaDrift>>()?;
    let ids: Vec<i64> = deliveries.iter().map(|d| d.id).collect();
    for row in client.query(ATTEMPTS, &[&ids]).await? {
        let delivery_id: i64 = row.column("delivery_id")?;
        if let Some(delivery) = deliveries.iter_mut().find(|d| d.id == delivery_id) {
            delivery.attempt_log.push(Attempt {
                attempt: row.column("attempt")?,
                outcome: row.column("outcome")?,
                status_code: row.column("status_code")?,
                error: row.column("error")?,
                duration_ms: row.column("duration_ms")?,
                at: row.column("at")?,
            });
        }
    }
    Ok(deliveries)
}

/// Sends a delivery again, whatever its status (`failed`, or `delivered` once more), with the same `webhook-id` and
/// body, retried for another `retry_hours` if it fails. A delivery in flight is left alone.
pub async fn resend(tx: &Transaction<'_>, delivery_id: i64, actor: &str) -> Result<String, OutboundError> {
    let row = tx
        .query_opt(
            "SELECT d.status, e.status AS endpoint_status, d.endpoint_id FROM outbound_deliveries d
             JOIN outbound_endpoints e ON e.id = d.endpoint_id WHERE d.id = $1 FOR UPDATE OF d",
            &[&delivery_id],
        )
        .await?
        .ok_or(OutboundError::DeliveryNotFound(delivery_id))?;
    let status: String = row.column("status")?;
    let endpoint_status: String = row.column("endpoint_status")?;
    let endpoint_id: i64 = row.column("endpoint_id")?;
    if endpoint_status != "enabled" {
        return Err(OutboundError::EndpointDisabled(endpoint_id));
    }
    if status == "delivering" || status == "pending" {
        tx.execute(
            "UPDATE outbound_deliveries SET next_attempt_at = now() WHERE id = $1 AND status = 'pending'",
            &[&delivery_id],
        )
        .await?;
    } else {
        tx.execute(
            "UPDATE outbound_deliveries SET status = 'pending', next_attempt_at = now(), retry_from = now(),
                    delivered_at = NULL WHERE id = $1",
            &[&delivery_id],
        )
        .await?;
    }
    tx.execute("SELECT pg_notify('pathfinder_outbound', '')", &[]).await?;
    let details = serde_json::json!({"endpointId": endpoint_id, "wasStatus": status});
    audit::append(tx, "outbound.delivery.resent", actor, Some(&delivery_id.to_string()), &details).await?;
    Ok(status)
}
