//! Recording an attempt, in one transaction with the delivery's new status (only while this worker still holds
//! the claim: a worker whose lease ran out, or whose delivery was erased meanwhile, records nothing).
//!
//! A failure is retried after `retry_base_secs * 2^(attempt-1)` seconds (at most `retry_max_delay_secs`, +-25%
//! jitter, never sooner than the receiver's Retry-After), until `retry_hours` after the delivery was created (or
//! resent); the last retry happens at that deadline and the delivery is `failed` if it fails too. An endpoint with
//! no success for `disable_after_days` is disabled with the reason, recorded in the audit log.

use pathfinder_core::db::{PooledClient, RowExt};
use pathfinder_core::privacy::audit;
use pathfinder_core::settings::OutboundSettings;
use serde_json::json;

use super::claim::Claimed;
use super::http::Attempted;

const DELIVERED: &str = "
UPDATE outbound_deliveries SET status = 'delivered', delivered_at = now(), last_error = NULL, locked_by = NULL,
                               locked_until = NULL
WHERE id = $1 AND locked_by = $2 AND status = 'delivering'";

const RETRY_OR_FAIL: &str = "
UPDATE outbound_deliveries d
SET status = CASE WHEN now() >= d.retry_from + $3::bigint * interval '1 hour' THEN 'failed' ELSE 'pending' END,
    next_attempt_at = LEAST(
        d.retry_from + $3::bigint * interval '1 hour',
        now() + GREATEST($6::float8,
                         LEAST($5::float8, $4::float8 * power(2, LEAST(d.attempts - 1, 40)))
                         * (0.75 + random() * 0.5)) * interval '1 second'),
    last_error = $7, locked_by = NULL, locked_until = NULL
WHERE d.id = $1 AND d.locked_by = $2 AND d.status = 'delivering'
RETURNING d.status, d.next_attempt_at";

const ATTEMPT: &str = "
INSERT INTO outbound_attempts (delivery_id, attempt, outcome, status_code, error, duration_ms)
VALUES ($1, $2, $3, $4, $5, $6)";

const ENDPOINT_OK: &str =
    "UPDATE outbound_endpoints SET failing_since = NULL WHERE id = $1 AND failing_since IS NOT NULL";

/// Marks the endpoint failing (since its first failure after a success); says whether that was `$2` days ago.
const ENDPOINT_FAILED: &str = "
UPDATE outbound_endpoints SET failing_since = COALESCE(failing_since, now()) WHERE id = $1
RETURNING status = 'enabled' AND failing_since <= now() - $2::bigint * interval '1 day' AS overdue";

/// Disables the endpoint with the reason.
const DISABLE: &str = "
UPDATE outbound_endpoints
SET status = 'disabled', disabled_at = now(),
    disabled_reason = format('no delivery succeeded for %s days (failing since %s); last error: %s', $2::bigint,
                             to_char(failing_since AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS \"UTC\"'), $3::text)
WHERE id = $1 AND status = 'enabled'
RETURNING disabled_reason";

/// Writes the attempt and the delivery's new status.
pub async fn record(
    client: &mut PooledClient,
    worker: &str,
    settings: &OutboundSettings,
    delivery: &Claimed,
    attempted: &Attempted,
    duration_ms: i32,
) -> anyhow::Result<()> {
    let tx = client.transaction().await?;
    let (outcome, status_code, error, retry_after) = match attempted {
        Attempted::Delivered { status } => ("delivered", Some(i32::from(*status)), None, None),
        Attempted::Failed { status, error, retry_after_secs } => {
            ("failed", status.map(i32::from), Some(error.as_str()), *retry_after_secs)
        }
        Attempted::Refused { error } => ("refused", None, Some(error.as_str()), None),
    };
    if outcome == "delivered" {
        if tx.execute(DELIVERED, &[&delivery.id, &worker]).await? == 0 {
            tracing::warn!("delivered after the claim was lost (lease expired or delivery erased); not recorded");
            return Ok(());
        }
        tx.execute(ATTEMPT, &[&delivery.id, &delivery.attempt, &outcome, &status_code, &error, &duration_ms]).await?;
        tx.execute(ENDPOINT_OK, &[&delivery.endpoint_id]).await?;
        tx.commit().await?;
        metrics::counter!("pathfinder_outbound_delivered_total", "event" => delivery.event_type.clone()).increment(1);
        tracing::info!(status = status_code, duration_ms, "outbound event delivered");
        return Ok(());
    }
    let error = error.unwrap_or_default();
    let retry_after = retry_after.map_or(0.0, |secs| secs as f64);
    let updated = tx
        .query_opt(
            RETRY_OR_FAIL,
            &[
                &delivery.id,
                &worker,
                &i64::from(settings.retry_hours),
                &(settings.retry_base_secs as f64),
                &(settings.retry_max_delay_secs as f64),
                &retry_after,
                &error,
            ],
        )
        .await?;
    let Some(updated) = updated else {
        tracing::warn!(error, "attempt failed after the claim was lost; not recorded");
        return Ok(());
    };
    let status: String = updated.column("status")?;
    tx.execute(ATTEMPT, &[&delivery.id, &delivery.attempt, &outcome, &status_code, &Some(error), &duration_ms]).await?;
    let days = i64::from(settings.disable_after_days);
    let overdue = match tx.query_opt(ENDPOINT_FAILED, &[&delivery.endpoint_id, &days]).await? {
        Some(row) => row.column("overdue")?,
        None => false,
    };
    let disabled = if overdue { tx.query_opt(DISABLE, &[&delivery.endpoint_id, &days, &error]).await? } else { None };
    if let Some(row) = &disabled {
        let reason: String = row.column("disabled_reason")?;
        let details = json!({"reason": reason});
        audit::append(&*tx, "outbound.endpoint.disabled", worker, Some(&delivery.endpoint_id.to_string()), &details)
            .await?;
    }
    tx.commit().await?;
    metrics::counter!("pathfinder_outbound_failures_total", "outcome" => outcome).increment(1);
    if status == "failed" {
        tracing::error!(
            error,
            "outbound delivery failed for good; `pathfinder endpoints resend {}` tries again",
            delivery.id
        );
    } else {
        tracing::warn!(error, status = status_code, "outbound attempt failed; will retry");
    }
    if disabled.is_some() {
        tracing::error!("endpoint disabled: no delivery succeeded for {} days", settings.disable_after_days);
    }
    Ok(())
}
