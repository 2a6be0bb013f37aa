//! The `job_runs` ledger: one row per (job, period).

use std::collections::HashSet;

use tokio_postgres::Transaction;

use super::Trigger;
use crate::schedule::{Job, Occurrence};

/// Records the run inside `tx` and returns its ledger key; `None` when the period already has its row (another
/// replica ran it, or is running it and commits first: the insert waits for that transaction, then sees the row).
pub async fn claim(
    tx: &Transaction<'_>,
    occurrence: &Occurrence,
    trigger: Trigger,
) -> Result<Option<String>, tokio_postgres::Error> {
    let key = ledger_key(occurrence, trigger);
    let inserted = tx
        .execute(
            "INSERT INTO job_runs (job, period_key, scheduled_for, trigger) VALUES ($1, $2, $3, $4)
             ON CONFLICT (job, period_key) DO NOTHING",
            &[&occurrence.job.name(), &key, &occurrence.utc, &trigger.as_str()],
        )
        .await?;
    Ok((inserted == 1).then_some(key))
}

/// Stores the summary and the finishing time under the key `claim` returned (same transaction).
pub async fn finish(
    tx: &Transaction<'_>,
    occurrence: &Occurrence,
    key: &str,
    summary: &serde_json::Value,
) -> Result<(), tokio_postgres::Error> {
    let updated = tx
        .execute(
            "UPDATE job_runs SET finished_at = clock_timestamp(), summary = $3 WHERE job = $1 AND period_key = $2",
            &[&occurrence.job.name(), &key, summary],
        )
        .await?;
    debug_assert_eq!(updated, 1, "finish follows a successful claim");
    Ok(())
}

/// Which of `candidates` have no scheduled run recorded, in one query for any number of jobs and periods.
pub async fn missing<'a>(
    client: &tokio_postgres::Client,
    candidates: impl Iterator<Item = &'a Occurrence>,
) -> Result<HashSet<(Job, String)>, tokio_postgres::Error> {
    let (jobs, keys): (Vec<&str>, Vec<&str>) = candidates.map(|o| (o.job.name(), o.period_key.as_str())).unzip();
    if jobs.is_empty() {
        return Ok(HashSet::new());
    }
    let rows = client
        .query(
            "SELECT c.job, c.period_key FROM unnest($1::text[], $2::text[]) AS c(job, period_key)
             WHERE NOT EXISTS (SELECT 1 FROM job_runs r WHERE r.job = c.job AND r.period_key = c.period_key)",
            &[&jobs, &keys],
        )
        .await?;
    let mut missing = HashSet::new();
    for row in &rows {
        if let Ok(job) = row.try_get::<_, &str>("job")?.parse::<Job>() {
            missing.insert((job, row.try_get::<_, String>("period_key")?));
        }
    }
    Ok(missing)
}

/// Manual runs are recorded under a key of their own, so they never stand in for the scheduled run.
fn ledger_key(occurrence: &Occurrence, trigger: Trigger) -> String {
    match trigger {
        Trigger::Manual => format!("{}@manual-{}", occurrence.period_key, chrono::Utc::now().timestamp_micros()),
        Trigger::Schedule | Trigger::CatchUp => occurrence.period_key.clone(),
    }
}
