//! Managing endpoints: add (with a new secret, shown once), list, remove, rotate the secret, enable again after
//! the worker disabled one. Each change is recorded in the audit log (URL host and ids only, never the secret).

use chrono::{DateTime, Utc};
use serde::Serialize;
use tokio_postgres::{GenericClient, Row, Transaction};

use super::{EventType, OutboundError, secret, target};
use crate::db::{QueryError, RowExt, SchemaDrift};
use crate::privacy::audit;

/// The longest description accepted.
pub const MAX_DESCRIPTION_CHARS: usize = 500;

/// Hours the previous secret keeps signing after a rotation (the receiver switches within them).
pub const ROTATION_OVERLAP_HOURS: i64 = 24;

/// An endpoint as listed (never with its secret).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Endpoint {
    pub id: i64,
    pub url: String,
    pub description: String,
    pub events: Vec<EventType>,
    /// `enabled` or `disabled`.
    pub status: String,
    pub disabled_reason: Option<String>,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub disabled_at: Option<DateTime<Utc>>,
    /// Since when every attempt failed (none since the last success), if failing.
    #[schema(value_type = Option<String>, format = DateTime)]
    pub failing_since: Option<DateTime<Utc>>,
    /// Until when the previous secret also signs (after a rotation).
    #[schema(value_type = Option<String>, format = DateTime)]
    pub previous_secret_until: Option<DateTime<Utc>>,
    /// Deliveries waiting (pending or in flight).
    pub pending: i64,
    pub failed: i64,
    pub delivered: i64,
    #[schema(value_type = String, format = DateTime)]
    pub created_at: DateTime<Utc>,
}

/// An endpoint with its new secret: the only time the secret is shown.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct WithSecret {
    #[serde(flatten)]
    pub endpoint: Endpoint,
    pub secret: String,
}

/// What `add` needs.
#[derive(Debug, Clone)]
pub struct NewEndpoint<'a> {
    pub url: &'a str,
    /// Comma-separated event types; empty means every event.
    pub events: &'a str,
    pub description: &'a str,
}

const SELECT: &str = "
SELECT e.id, e.url, e.description, e.event_types, e.status, e.disabled_reason, e.disabled_at, e.failing_since,
       CASE WHEN e.previous_secret_until > now() THEN e.previous_secret_until END AS previous_secret_until,
       e.created_at,
       (SELECT count(*) FROM outbound_deliveries d WHERE d.endpoint_id = e.id AND d.status IN ('pending', 'delivering'))
           AS pending,
       (SELECT count(*) FROM outbound_deliveries d WHERE d.endpoint_id = e.id AND d.status = 'failed') AS failed,
       (SELECT count(*) FROM outbound_deliveries d WHERE d.endpoint_id = e.id AND d.status = 'delivered') AS delivered
FROM outbound_endpoints e";

const INSERT: &str = "
INSERT INTO outbound_endpoints (url, description, event_types, secret) VALUES ($1, $2, $3, $4) RETURNING id";

/// Adds an endpoint after checking its URL (every address of its host must be public unless `allow_private`).
pub async fn add(
    tx: &Transaction<'_>,
    new: &NewEndpoint<'_>,
    allow_private: bool,
    actor: &str,
) -> Result<WithSecret, OutboundError> {
    let events = EventType::parse_list(new.events)?;
    let description = new.description.trim();
    if description.chars().count() > MAX_DESCRIPTION_CHARS || description.contains('\0') {
        return Err(OutboundError::InvalidDescription(MAX_DESCRIPTION_CHARS));
    }
    let url = target::check_url(new.url, allow_private).await?;
    let secret = secret::generate().map_err(|e| OutboundError::Internal(format!("{e:#}")))?;
    let names: Vec<&str> = events.iter().map(|e| e.as_str()).collect();
    let id: i64 = tx.query_one(INSERT, &[&url.as_str(), &description, &names, &secret]).await?.column("id")?;
    let details = serde_json::json!({"host": url.host_str(), "events": names});
    audit::append(tx, "outbound.endpoint.added", actor, Some(&id.to_string()), &details).await?;
    let endpoint = get(tx, id).await?;
    Ok(WithSecret { endpoint, secret })
}

/// Every endpoint, oldest first.
pub async fn list<C: GenericClient + Sync>(client: &C) -> Result<Vec<Endpoint>, QueryError> {
    let rows = client.query(&format!("{SELECT} ORDER BY e.id"), &[]).await?;
    Ok(rows.iter().map(from_row).collect::<Result<_, _>>()?)
}

/// One endpoint.
pub async fn get<C: GenericClient + Sync>(client: &C, id: i64) -> Result<Endpoint, OutboundError> {
    let row = client.query_opt(&format!("{SELECT} WHERE e.id = $1"), &[&id]).await?;
    Ok(from_row(row.as_ref().ok_or(OutboundError::EndpointNotFound(id))?)?)
}

/// Removes an endpoint with its deliveries and their attempts; returns how many deliveries went with it.
pub async fn remove(tx: &Transaction<'_>, id: i64, actor: &str) -> Result<i64, OutboundError> {
    let endpoint = get(tx, id).await?;
    let deliveries: i64 = tx
        .query_one("SELECT count(*) AS deliveries FROM outbound_deliveries WHERE endpoint_id = $1", &[&id])
        .await?
        .column("deliveries")?;
    tx.execute("DELETE FROM outbound_endpoints WHERE id = $1", &[&id]).await?;
    let details = serde_json::json!({"pendingDropped": endpoint.pending, "deliveriesDeleted": deliveries});
    audit::append(tx, "outbound.endpoint.removed", actor, Some(&id.to_string()), &details).await?;
    Ok(deliveries)
}

/// A new secret; the previous one keeps signing for [`ROTATION_OVERLAP_HOURS`].
pub async fn rotate_secret(tx: &Transaction<'_>, id: i64, actor: &str) -> Result<WithSecret, OutboundError> {
    let secret = secret::generate().map_err(|e| OutboundError::Internal(format!("{e:#}")))?;
    let changed = tx
        .execute(
            "UPDATE outbound_endpoints SET previous_secret = secret, secret = $2,
                    previous_secret_until = now() + $3::bigint * interval '1 hour'
             WHERE id = $1",
            &[&id, &secret, &ROTATION_OVERLAP_HOURS],
        )
        .await?;
    if changed == 0 {
        return Err(OutboundError::EndpointNotFound(id));
    }
    let details = serde_json::json!({"previousSecretSignsForHours": ROTATION_OVERLAP_HOURS});
    audit::append(tx, "outbound.endpoint.secret-rotated", actor, Some(&id.to_string()), &details).await?;
    Ok(WithSecret { endpoint: get(tx, id).await?, secret })
}

/// Enables a disabled endpoint again (its waiting deliveries go out at once) and clears its failure record.
pub async fn enable(tx: &Transaction<'_>, id: i64, actor: &str) -> Result<Endpoint, OutboundError> {
    let before = get(tx, id).await?;
    tx.execute(
        "UPDATE outbound_endpoints SET status = 'enabled', disabled_reason = NULL, disabled_at = NULL,
                failing_since = NULL WHERE id = $1",
        &[&id],
    )
    .await?;
    tx.execute(
        "UPDATE outbound_deliveries SET next_attempt_at = now() WHERE endpoint_id = $1 AND status = 'pending'",
        &[&id],
    )
    .await?;
    tx.execute("SELECT pg_notify('pathfinder_outbound', '')", &[]).await?;
    let details = serde_json::json!({"wasStatus": before.status});
    audit::append(tx, "outbound.endpoint.enabled", actor, Some(&id.to_string()), &details).await?;
    get(tx, id).await
}

fn from_row(row: &Row) -> Result<Endpoint, SchemaDrift> {
    let names: Vec<String> = row.column("event_types")?;
    Ok(Endpoint {
        id: row.column("id")?,
        url: row.column("url")?,
        description: row.column("description")?,
        events: names.iter().filter_map(|n| EventType::parse(n)).collect(),
        status: row.column("status")?,
        disabled_reason: row.column("disabled_reason")?,
        disabled_at: row.column("disabled_at")?,
        failing_since: row.column("failing_since")?,
        previous_secret_until: row.column("previous_secret_until")?,
        created_at: row.column("created_at")?,
        pending: row.column("pending")?,
        failed: row.column("failed")?,
        delivered: row.column("delivered")?,
    })
}
