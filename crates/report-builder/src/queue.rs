//! Reports waiting in the `reports` table with status `pending`: month-to-date reports queued by
//! `POST /admin/generate-reports`, and any report an erasure sent back to be rebuilt without the erased member.
//! Claimed with SKIP LOCKED, built, and marked `ready` with their URIs in the same transaction as the claim, so a
//! crash leaves the row pending (and claimable again), never `ready` without its files. A month-end report is
//! rebuilt for its whole month, a month-to-date one up to the end of its period.
//!
//! A build that fails is isolated: its attempt and error are recorded on the row (the build itself rolls back to a
//! savepoint), it is tried again after a backoff (1, 2, 4, 8 minutes) and after [`MAX_ATTEMPTS`] it is `failed`
//! with its error (shown in `/admin/stats` and the dashboard). Reports behind it are built meanwhile.

use pathfinder_core::db::{DbPool, RowExt};
use pathfinder_core::jobs::retry_backoff;

use crate::generate::Generator;
use crate::month::Month;

/// Builds tried before a report is `failed`.
pub const MAX_ATTEMPTS: i32 = 5;

const CLAIM: &str = "
SELECT id, kind, period_start, period_end, attempts FROM reports
WHERE status = 'pending' AND next_attempt_at <= now()
ORDER BY requested_at LIMIT 1 FOR UPDATE SKIP LOCKED";

const FAILED: &str = "
UPDATE reports SET attempts = attempts + 1, last_error = $2,
                   status = CASE WHEN attempts + 1 >= $3 THEN 'failed' ELSE 'pending' END,
                   next_attempt_at = now() + $4::bigint * interval '1 second'
WHERE id = $1
RETURNING status";

const READY: &str = "
UPDATE reports SET status = 'ready', csv_uri = $2, html_uri = $3, detection_count = $4, new_count = $5,
                   promotion_count = $6, c_suite_count = $7, vp_count = $8, attempts = attempts + 1,
                   completed_at = now(), last_error = NULL
WHERE id = $1";

/// Builds, or fails and reschedules, one due pending report if there is one; returns whether there was one.
pub async fn run_once(pool: &DbPool, generator: &Generator) -> anyhow::Result<bool> {
    let mut client = pool.get().await?;
    let mut tx = client.transaction().await?;
    let Some(row) = tx.query_opt(CLAIM, &[]).await? else { return Ok(false) };
    let (id, kind, attempts): (i64, String, i32) = (row.column("id")?, row.column("kind")?, row.column("attempts")?);
    let (start, end): (chrono::DateTime<chrono::Utc>, chrono::DateTime<chrono::Utc>) =
        (row.column("period_start")?, row.column("period_end")?);
    let month = Month::containing(start, generator.tz);
    let up_to = (kind == "month_to_date").then_some(end);
    let build = tx.savepoint("build").await?;
    let written = match generator.generate(&*build, month, up_to).await {
        Ok(written) => {
            build.commit().await?;
            written
        }
        Err(error) => {
            build.rollback().await?;
            let message: String = format!("{error:#}").chars().take(500).collect();
            let wait = i64::try_from(retry_backoff(attempts + 1).as_secs()).unwrap_or(3600);
            let status: String =
                tx.query_one(FAILED, &[&id, &message, &MAX_ATTEMPTS, &wait]).await?.column("status")?;
            tx.commit().await?;
            metrics::counter!("pathfinder_report_failures_total").increment(1);
            if status == "failed" {
                tracing::error!(report_id = id, kind = %kind, month = %month.key(), error = %message,
                                "report failed for good after {MAX_ATTEMPTS} attempts");
            } else {
                tracing::warn!(report_id = id, kind = %kind, month = %month.key(), error = %message,
                               retry_in_secs = wait, "report build failed; will retry");
            }
            return Ok(true);
        }
    };
    let count = |n: usize| i32::try_from(n).unwrap_or(i32::MAX);
    let data = &written.data;
    tx.execute(
        READY,
        &[
            &id,
            &written.csv_uri,
            &written.html_uri,
            &count(data.total),
            &count(data.new_count),
            &count(data.promotion_count),
            &count(data.c_suite_count),
            &count(data.vp_count),
        ],
    )
    .await?;
    tx.commit().await?;
    tracing::info!(report_id = id, kind = %kind, month = %month.key(), detections = data.total, "report ready");
    Ok(true)
}
