//! The digest queue: claim pending digests under a lease, render, deliver, and record the outcome.
//!
//! A digest is marked `sent` in the same transaction that records its delivery, after the transport said yes: a
//! crash between the two may send a digest twice (the Automation Anywhere bots get the digest id to drop a repeat),
//! never lose one. Failures retry with exponential backoff and jitter (honouring Retry-After): a few quick tries in
//! place, then later claims, until `max_attempts`; a 4xx other than 429 fails at once. `failed` digests wait for
//! `pathfinder digests retry <id>`.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use backon::{BackoffBuilder, ExponentialBuilder};
use chrono_tz::Tz;
use pathfinder_core::db::{DbPool, PooledClient, RowExt};
use pathfinder_core::privacy::audit;
use serde_json::json;
use tracing::Instrument;

use crate::content;
use crate::render::{Rendered, Renderer};
use crate::transport::{DeliveryError, Transport};

/// Longest pause spent retrying in place before handing the retry to a later claim.
const IN_PLACE_LIMIT: Duration = Duration::from_secs(5);

const CLAIM: &str = "
UPDATE digests g
SET status = 'sending', locked_by = $1, locked_until = now() + $2::bigint * interval '1 second',
    attempts = g.attempts + 1
FROM (SELECT id FROM digests
      WHERE (status = 'pending' AND next_attempt_at <= now())
         OR (status = 'sending' AND locked_until < now())
      ORDER BY id LIMIT $3 FOR UPDATE SKIP LOCKED) c
WHERE g.id = c.id
RETURNING g.id, g.channel, g.run_key, g.attempts";

const RECORD: &str = "
INSERT INTO digest_deliveries (digest_id, attempt, transport, status, remote_id, error, duration_ms)
VALUES ($1, $2, $3, $4, $5, $6, $7)";

const SENT: &str = "
UPDATE digests SET status = 'sent', sent_at = now(), transport = $2, remote_id = $3, last_error = NULL,
                   locked_by = NULL, locked_until = NULL
WHERE id = $1 AND locked_by = $4 AND status = 'sending'";

const FAILED: &str = "
UPDATE digests SET status = CASE WHEN $3 THEN 'failed' ELSE 'pending' END, transport = $2, last_error = $4,
                   next_attempt_at = now() + $5::bigint * interval '1 second', locked_by = NULL, locked_until = NULL
WHERE id = $1 AND locked_by = $6 AND status = 'sending'";

pub struct Sender {
    pub id: String,
    pub pool: DbPool,
    pub renderer: Renderer,
    pub transports: HashMap<&'static str, Transport>,
    pub tz: Tz,
    pub lease_secs: i64,
    pub max_attempts: i32,
}

/// What one pass did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Pass {
    pub claimed: usize,
    pub sent: usize,
    pub failed: usize,
}

/// What one digest's turn ended with.
enum Turn {
    Sent,
    Failed,
    /// Left alone: another sender took it over (lease expired) meanwhile.
    Skipped,
}

impl Sender {
    /// Claims and tries up to `limit` due digests, one at a time (with quick in-place retries). Each digest is
    /// claimed just before it is tried, so its lease covers its own delivery only, however slow the ones before it.
    pub async fn run_once(&self, limit: i64) -> anyhow::Result<Pass> {
        let mut pass = Pass::default();
        for _ in 0..limit.max(1) {
            let mut client = self.pool.get().await?;
            let Some(row) = client.query_opt(CLAIM, &[&self.id, &self.lease_secs, &1_i64]).await? else { break };
            pass.claimed += 1;
            let (id, channel, run_key, attempt): (i64, String, String, i32) =
                (row.column("id")?, row.column("channel")?, row.column("run_key")?, row.column("attempts")?);
            let span = tracing::info_span!("digest", digest_id = id, channel = %channel, attempt);
            match self.try_one(&mut client, id, &channel, &run_key, attempt).instrument(span).await? {
                Turn::Sent => pass.sent += 1,
                Turn::Failed => pass.failed += 1,
                Turn::Skipped => {}
            }
        }
        Ok(pass)
    }

    /// Delivers one claimed digest and records the outcome, if this sender still holds the claim.
    async fn try_one(
        &self,
        client: &mut PooledClient,
        id: i64,
        channel: &str,
        run_key: &str,
        attempt: i32,
    ) -> anyhow::Result<Turn> {
        let Some(transport) = self.transports.get(channel) else {
            return self.fail_without_transport(client, id, channel, attempt).await;
        };
        let started = Instant::now();
        let outcome = match content::load(&***client, id, channel, run_key, self.tz).await {
            Ok(content) => match self.renderer.render(&content) {
                Ok(rendered) => deliver_with_retries(transport, channel, &rendered).await,
                Err(error) => Err(DeliveryError::Permanent(format!("{error:#}"))),
            },
            Err(error) => Err(DeliveryError::transient(pathfinder_core::db::describe(&error))),
        };
        let elapsed = i32::try_from(started.elapsed().as_millis()).unwrap_or(i32::MAX);
        let tx = client.transaction().await?;
        let turn = match outcome {
            Ok(delivered) => {
                // Ownership first: a sender whose lease ran out records nothing (the owner records its own try).
                let owned = tx.execute(SENT, &[&id, &transport.name(), &delivered.remote_id, &self.id]).await?;
                if owned == 0 {
                    tx.rollback().await?;
                    tracing::warn!("delivered after the claim expired; another sender owns the digest now");
                    return Ok(Turn::Skipped);
                }
                tx.execute(
                    RECORD,
                    &[&id, &attempt, &transport.name(), &"sent", &delivered.remote_id, &None::<String>, &elapsed],
                )
                .await?;
                let details = json!({"channel": channel, "transport": transport.name(), "status": "sent",
                                     "attempt": attempt, "remoteId": delivered.remote_id, "durationMs": elapsed});
                audit::append(&*tx, "digest.delivery", &self.id, Some(&id.to_string()), &details).await?;
                metrics::counter!("pathfinder_digests_sent_total", "channel" => channel.to_owned(), "transport" => transport.name()).increment(1);
                tracing::info!(transport = transport.name(), "digest delivered");
                Turn::Sent
            }
            Err(error) => {
                let give_up = !error.is_transient() || attempt >= self.max_attempts;
                let wait = next_attempt_delay(attempt, error.retry_after());
                let message = error.to_string();
                let wait_secs = i64::try_from(wait.as_secs()).unwrap_or(3600);
                let owned =
                    tx.execute(FAILED, &[&id, &transport.name(), &give_up, &message, &wait_secs, &self.id]).await?;
                if owned == 0 {
                    tx.rollback().await?;
                    tracing::warn!(error = %message, "delivery failed after the claim expired; another sender owns the digest now");
                    return Ok(Turn::Skipped);
                }
                tx.execute(RECORD, &[&id, &attempt, &transport.name(), &"failed", &None::<String>, &message, &elapsed])
                    .await?;
                let status = if give_up { "failed" } else { "retry" };
                let details = json!({"channel": channel, "transport": transport.name(), "status": status,
                                     "attempt": attempt, "error": message.chars().take(200).collect::<String>(),
                                     "durationMs": elapsed});
                audit::append(&*tx, "digest.delivery", &self.id, Some(&id.to_string()), &details).await?;
                metrics::counter!("pathfinder_digest_delivery_failures_total", "channel" => channel.to_owned(), "transport" => transport.name()).increment(1);
                if give_up {
                    tracing::error!(error = %message, "digest failed; `pathfinder digests retry {id}` sends it again");
                } else {
                    tracing::warn!(error = %message, retry_in_secs = wait.as_secs(), "delivery failed; will retry");
                }
                Turn::Failed
            }
        };
        tx.commit().await?;
        Ok(turn)
    }
}

impl Sender {
    /// A digest of a channel this sender has no transport for (the channel was disabled after the digest was
    /// built, or another process built it with other settings) fails at once with an error that says so; it used to
    /// stay `sending` with its attempts climbing. `pathfinder digests retry` sends it once the channel is back.
    async fn fail_without_transport(
        &self,
        client: &mut PooledClient,
        id: i64,
        channel: &str,
        attempt: i32,
    ) -> anyhow::Result<Turn> {
        let message = format!(
            "no transport for the {channel} channel: it is not in PATHFINDER_DIGEST__CHANNELS of this digest-sender; \
             enable it, then `pathfinder digests retry {id}`"
        );
        let tx = client.transaction().await?;
        if tx.execute(FAILED, &[&id, &NO_TRANSPORT, &true, &message, &0_i64, &self.id]).await? == 0 {
            tx.rollback().await?;
            return Ok(Turn::Skipped);
        }
        tx.execute(RECORD, &[&id, &attempt, &NO_TRANSPORT, &"failed", &None::<String>, &message, &0_i32]).await?;
        let details = json!({"channel": channel, "transport": NO_TRANSPORT, "status": "failed", "attempt": attempt,
                             "error": message});
        audit::append(&*tx, "digest.delivery", &self.id, Some(&id.to_string()), &details).await?;
        tx.commit().await?;
        metrics::counter!("pathfinder_digest_delivery_failures_total", "channel" => channel.to_owned(), "transport" => NO_TRANSPORT).increment(1);
        tracing::error!(error = %message, "digest failed");
        Ok(Turn::Failed)
    }
}

/// `digests.transport` of a digest failed for want of a transport.
const NO_TRANSPORT: &str = "none";

/// One delivery with up to two quick retries for transient failures, honouring a short Retry-After.
async fn deliver_with_retries(
    transport: &Transport,
    channel: &str,
    digest: &Rendered,
) -> Result<crate::transport::Delivered, DeliveryError> {
    let mut pauses = ExponentialBuilder::default()
        .with_min_delay(Duration::from_millis(200))
        .with_jitter()
        .with_max_times(2)
        .build();
    loop {
        match transport.deliver(channel, digest).await {
            Ok(delivered) => return Ok(delivered),
            Err(error) if error.is_transient() => {
                let Some(pause) = pauses.next() else { return Err(error) };
                let pause = error.retry_after().map_or(pause, |server| server.max(pause));
                if pause > IN_PLACE_LIMIT {
                    return Err(error);
                }
                tracing::debug!(error = %error, pause_ms = pause.as_millis() as u64, "transient failure; retrying");
                tokio::time::sleep(pause).await;
            }
            Err(error) => return Err(error),
        }
    }
}

/// Exponential backoff with jitter between claims (30 s, 1 min, 2 min, ... up to 1 h), never sooner than the
/// server's Retry-After.
pub fn next_attempt_delay(attempt: i32, retry_after: Option<Duration>) -> Duration {
    let exponent = u32::try_from(attempt.clamp(1, 8) - 1).unwrap_or(0);
    let base = Duration::from_secs(30).saturating_mul(2u32.pow(exponent)).min(Duration::from_secs(3600));
    let jitter = base.mul_f64(0.8 + 0.4 * (uuid::Uuid::new_v4().as_u128() % 1000) as f64 / 1000.0);
    retry_after.map_or(jitter, |server| server.max(jitter))
}
