//! Reports waiting in the `reports` table with status `pending`: month-to-date reports queued by
//! `POST /admin/generate-reports`, and any report an erasure sent back to be rebuilt without the erased member.
//! Claimed with SKIP LOCKED, built, and marked `ready` with their URIs in the same transaction as the claim, so a
//! crash leaves the row pending (and claimable again), never `ready` without its files. A month-end report is
//! rebuilt for its whole month, a month-to-date one up to the end of its period.

use pathfinder_core::db::DbPool;

use crate::generate::Generator;
use crate::month::Month;

const CLAIM: &str = "
SELECT id, kind, period_start, period_end FROM reports
WHERE status = 'pending'
ORDER BY requested_at LIMIT 1 FOR UPDATE SKIP LOCKED";

const READY: &str = "
UPDATE reports SET status = 'ready', csv_uri = $2, html_uri = $3, detection_count = $4, new_count = $5,
                   promotion_count = $6, c_suite_count = $7, vp_count = $8, attempts = attempts + 1,
                   completed_at = now(), last_error = NULL
WHERE id = $1";

/// Builds one pending report if there is one; returns whether it did.
pub async fn run_once(pool: &DbPool, generator: &Generator) -> anyhow::Result<bool> {
    let mut client = pool.get().await?;
    let tx = client.transaction().await?;
    let Some(row) = tx.query_opt(CLAIM, &[]).await? else { return Ok(false) };
    let (id, kind): (i64, String) = (row.get(0), row.get(1));
    let (start, end): (chrono::DateTime<chrono::Utc>, chrono::DateTime<chrono::Utc>) = (row.get(2), row.get(3));
    let month = Month::containing(start, generator.tz);
    let up_to = (kind == "month_to_date").then_some(end);
    let written = generator.generate(&*tx, month, up_to).await?;
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
