//! Optional member enrichment: after a detection is committed, look the member up (email, company, profile URL).
//!
//! Detections written while `enrichment.lookup_url` is set start as `enrichment_status = 'pending'`. This task
//! claims them (SKIP LOCKED, with a lease), calls the lookup URL with a timeout and quick retries on timeouts, 5xx
//! and 429, and writes what it found to the detection and the member's state. A lookup that keeps failing is tried
//! again later with a growing pause, then left empty (`failed`); a 4xx other than 429 (no such member) fails at
//! once. The detection itself never waits for any of this.
//!
//! A result is written in one transaction (the detection and the member's state together), and only while this
//! enricher still holds its claim: the claim is the attempt number it set, so after the lease ran out and another
//! enricher claimed the detection again, the late result is dropped rather than written over the newer one.

mod lookup;

use std::sync::Arc;
use std::time::Duration;

use pathfinder_core::db::{DbPool, PooledClient, RowExt};
use pathfinder_core::listen::drain_until_stopped;
use pathfinder_core::settings::EnrichmentSettings;
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;
use tracing::Instrument;

pub use lookup::{LookupError, Profile, fill_template};

/// Detections looked up at once.
const BATCH: i64 = 20;
/// Seconds a claimed detection is kept from other enrichers.
const LEASE_SECS: i64 = 60;

const CLAIM: &str = "
UPDATE detections d
SET enrichment_attempts = d.enrichment_attempts + 1, enrichment_next_at = now() + $1::bigint * interval '1 second'
FROM (SELECT id FROM detections
      WHERE enrichment_status = 'pending' AND enrichment_next_at <= now()
      ORDER BY id LIMIT $2 FOR UPDATE SKIP LOCKED) c
WHERE d.id = c.id
RETURNING d.id, d.user_id, d.username, d.enrichment_attempts";

/// `$5`: the attempt number of our claim (the claim is still ours while it is the latest and the row pending).
const DONE: &str = "
UPDATE detections SET email = $2, company = $3, profile_url = $4, enrichment_status = 'done', enrichment_error = NULL
WHERE id = $1 AND enrichment_status = 'pending' AND enrichment_attempts = $5";

const STATE: &str = "UPDATE user_state s SET email = $2, company = $3, profile_url = $4
FROM detections d WHERE d.id = $1 AND s.source = d.source AND s.user_id = d.user_id";

const FAILED: &str = "
UPDATE detections
SET enrichment_error = $2,
    enrichment_status = CASE WHEN $3 OR enrichment_attempts >= $4 THEN 'failed' ELSE 'pending' END,
    enrichment_next_at = now() + least(300, 2 ^ enrichment_attempts)::bigint * interval '1 second'
WHERE id = $1 AND enrichment_status = 'pending' AND enrichment_attempts = $5";

pub struct Enricher {
    pool: DbPool,
    settings: EnrichmentSettings,
    http: reqwest::Client,
    wake: Arc<Notify>,
    poll: Duration,
    shutdown: CancellationToken,
}

impl Enricher {
    pub fn new(
        pool: DbPool,
        settings: EnrichmentSettings,
        wake: Arc<Notify>,
        poll: Duration,
        shutdown: CancellationToken,
    ) -> anyhow::Result<Self> {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_millis(settings.timeout_ms))
            .user_agent(concat!("CaptPathfinder/", env!("CARGO_PKG_VERSION")))
            .build()?;
        Ok(Self { pool, settings, http, wake, poll, shutdown })
    }

    pub async fn run(self) {
        drain_until_stopped("enrichment batch", &self.wake, self.poll, &self.shutdown, || self.run_once()).await;
    }

    /// Claims due detections and looks their members up. Returns how many were claimed.
    pub async fn run_once(&self) -> anyhow::Result<usize> {
        let mut client = self.pool.get().await?;
        let claimed = client.query(CLAIM, &[&LEASE_SECS, &BATCH]).await?;
        for row in &claimed {
            let (id, user_id, username, attempt): (i64, String, Option<String>, i32) = (
                row.column("id")?,
                row.column("user_id")?,
                row.column("username")?,
                row.column("enrichment_attempts")?,
            );
            let span = tracing::info_span!("enrich", detection_id = id, user_id = %user_id, attempt);
            self.enrich_one(&mut client, id, &user_id, username.as_deref(), attempt).instrument(span).await?;
        }
        Ok(claimed.len())
    }

    /// Looks one claimed detection's member up and writes the outcome, if the claim is still ours.
    async fn enrich_one(
        &self,
        client: &mut PooledClient,
        id: i64,
        user_id: &str,
        username: Option<&str>,
        attempt: i32,
    ) -> anyhow::Result<()> {
        let found = lookup::lookup(&self.http, &self.settings, user_id, username).await;
        let tx = client.transaction().await?;
        let (owned, outcome) = match &found {
            Ok(profile) => {
                let params: [&(dyn tokio_postgres::types::ToSql + Sync); 5] =
                    [&id, &profile.email, &profile.company, &profile.profile_url, &attempt];
                let owned = tx.execute(DONE, &params).await? == 1;
                if owned {
                    tx.execute(STATE, &[&id, &profile.email, &profile.company, &profile.profile_url]).await?;
                }
                (owned, "done")
            }
            Err(error) => {
                let permanent = !error.is_transient();
                let params: [&(dyn tokio_postgres::types::ToSql + Sync); 5] =
                    [&id, &error.to_string(), &permanent, &self.settings.max_attempts, &attempt];
                (tx.execute(FAILED, &params).await? == 1, "failed")
            }
        };
        if !owned {
            tx.rollback().await?;
            tracing::warn!(
                "lookup finished after the claim was lost (lease expired, claimed again, or erased); dropped"
            );
            return Ok(());
        }
        tx.commit().await?;
        metrics::counter!("pathfinder_classifier_enrichments_total", "outcome" => outcome).increment(1);
        match found {
            Ok(_) => tracing::debug!("member enriched"),
            Err(error) => tracing::warn!(error = %error, "member lookup failed"),
        }
        Ok(())
    }
}
