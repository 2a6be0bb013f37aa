//! Manual digest runs, asked for through `POST /admin/send-digests` or the dashboard's button: rows in
//! `digest_requests` that ingest-api inserts and digest-sender carries out.
//!
//! A request is claimed with `FOR UPDATE SKIP LOCKED` by the transaction that builds its digests (the
//! `weekly-digest` job as a manual run, recorded in `job_runs` under a key of its own) and marks it `done` with the
//! build's summary. However many digest-senders run, each request is built once; a crash rolls the claim back and
//! leaves the request pending for the next pass. A build that fails is isolated as the report queue's are: its
//! attempt and error are recorded (the build itself rolls back to a savepoint), it is tried again after
//! [`retry_backoff`], and after [`MAX_ATTEMPTS`] it is `failed` with its error.

use chrono::Utc;
use pathfinder_core::db::{DbPool, RowExt};
use pathfinder_core::jobs::Trigger;
use pathfinder_core::jobs::retry_backoff;
use pathfinder_core::jobs::scheduler::{RunOutcome, record_success, run_in};
use pathfinder_core::schedule::{self, Job};
use tracing::Instrument;

use crate::weekly::WeeklyDigestJob;

/// Builds tried before a request is `failed`.
pub const MAX_ATTEMPTS: i32 = 5;

const CLAIM: &str = "
SELECT id, requested_by, attempts FROM digest_requests
WHERE status = 'pending' AND next_attempt_at <= now()
ORDER BY id LIMIT 1 FOR UPDATE SKIP LOCKED";

const DONE: &str = "
UPDATE digest_requests SET status = 'done', summary = $2, attempts = attempts + 1, completed_at = now(),
                           last_error = NULL
WHERE id = $1";

const FAILED: &str = "
UPDATE digest_requests SET attempts = attempts + 1, last_error = $2,
                           status = CASE WHEN attempts + 1 >= $3 THEN 'failed' ELSE 'pending' END,
                           next_attempt_at = now() + $4::bigint * interval '1 second'
WHERE id = $1
RETURNING status";

/// Carries out queued manual digest runs with the enabled channels.
pub struct RequestRunner {
    pub pool: DbPool,
    pub job: WeeklyDigestJob,
    pub tz: chrono_tz::Tz,
}

impl RequestRunner {
    /// Builds (or fails and reschedules) one due request if there is one; returns whether there was one.
    pub async fn run_once(&self) -> anyhow::Result<bool> {
        let mut client = self.pool.get().await?;
        let mut tx = client.transaction().await?;
        let Some(row) = tx.query_opt(CLAIM, &[]).await? else { return Ok(false) };
        let id: i64 = row.column("id")?;
        let requested_by: String = row.column("requested_by")?;
        let attempts: i32 = row.column("attempts")?;
        let span = tracing::info_span!("digest_request", request_id = id, requested_by = %requested_by);
        let week = schedule::period_containing(Job::WeeklyDigest, self.tz, Utc::now());
        let build = tx.savepoint("build").await?;
        let built = run_in(&build, &self.pool, &self.job, &week, Trigger::Manual).instrument(span.clone()).await;
        match built {
            Ok(outcome) => {
                build.commit().await?;
                // A manual run has a ledger key of its own, so it always runs; an empty summary would mean it did not.
                let summary = match outcome {
                    RunOutcome::Ran(summary) => summary,
                    RunOutcome::AlreadyRun => serde_json::json!({}),
                };
                tx.execute(DONE, &[&id, &summary]).await?;
                tx.commit().await?;
                record_success(&week, Trigger::Manual, &summary);
                span.in_scope(|| tracing::info!(summary = %summary, "manual digest run done"));
            }
            Err(error) => {
                build.rollback().await?;
                let message: String = format!("{error:#}").chars().take(500).collect();
                let wait = i64::try_from(retry_backoff(attempts + 1).as_secs()).unwrap_or(3600);
                let row = tx.query_one(FAILED, &[&id, &message, &MAX_ATTEMPTS, &wait]).await?;
                let status: String = row.column("status")?;
                tx.commit().await?;
                metrics::counter!("pathfinder_digest_request_failures_total").increment(1);
                span.in_scope(|| {
                    if status == "failed" {
                        tracing::error!(error = %message, "manual digest run failed for good after {MAX_ATTEMPTS} attempts");
                    } else {
                        tracing::warn!(error = %message, retry_in_secs = wait, "manual digest run failed; will retry");
                    }
                });
            }
        }
        Ok(true)
    }
}
