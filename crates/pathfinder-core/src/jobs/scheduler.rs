//! The loop each worker service runs for its own jobs: fire every due period once, catch up what was missed.
//!
//! Each pass asks the ledger once, for every job at the same time, which candidate periods have no row
//! ([`ledger::missing`]); the candidates follow each job's catch-up rule ([`crate::schedule::CatchUp`]: the latest
//! missed purge and weekly digest, every missed month-end report), however long ago the install was.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use tokio_postgres::Transaction;
use tokio_util::sync::CancellationToken;

use super::{JobHandler, Trigger, ledger};
use crate::db::DbPool;
use crate::schedule::{self, Occurrence};

/// The longest the loop sleeps before looking again (so a clock change or a missed wake-up costs little).
const MAX_SLEEP: Duration = Duration::from_secs(60);
/// A run later than this after its time is logged as a catch-up.
const LATE_AFTER: chrono::Duration = chrono::Duration::minutes(5);

/// Where "now" comes from (tests move it).
pub type Clock = Arc<dyn Fn() -> DateTime<Utc> + Send + Sync>;

pub fn system_clock() -> Clock {
    Arc::new(Utc::now)
}

/// What one run did.
#[derive(Debug, Clone, PartialEq)]
pub enum RunOutcome {
    Ran(serde_json::Value),
    /// Another replica has run (or is running) this period.
    AlreadyRun,
}

pub struct Scheduler {
    pub pool: DbPool,
    pub tz: Tz,
    pub handlers: Vec<Arc<dyn JobHandler>>,
    pub clock: Clock,
    pub shutdown: CancellationToken,
}

impl Scheduler {
    /// Runs until shutdown.
    pub async fn run(self) {
        while !self.shutdown.is_cancelled() {
            if let Err(error) = self.run_due().await {
                tracing::warn!(error = %format!("{error:#}"), "scheduled job failed; it is tried again");
            }
            let sleep = self.until_next().min(MAX_SLEEP);
            tokio::select! {
                _ = self.shutdown.cancelled() => break,
                _ = tokio::time::sleep(sleep) => {}
            }
        }
    }

    /// Runs every due period without a ledger row that the job's catch-up rule names, oldest first, since the
    /// schema was created (so a new install does not invent a year of catch-up runs). Returns how many it ran.
    pub async fn run_due(&self) -> anyhow::Result<usize> {
        let now = (self.clock)();
        let client = self.pool.get().await?;
        let installed: Option<DateTime<Utc>> = client
            .query_one("SELECT min(applied_on)::timestamptz FROM refinery_schema_history", &[])
            .await
            .ok()
            .and_then(|row| row.try_get::<_, Option<DateTime<Utc>>>(0).ok().flatten());
        let floor = installed.unwrap_or(now);
        let candidates: Vec<(usize, Occurrence)> = self
            .handlers
            .iter()
            .enumerate()
            .flat_map(|(n, handler)| {
                schedule::catch_up_candidates_by(handler.job(), handler.rule(), self.tz, floor, now)
                    .into_iter()
                    .map(move |o| (n, o))
            })
            .collect();
        let missing = ledger::missing(&client, candidates.iter().map(|(_, o)| o)).await?;
        drop(client);
        let mut ran = 0;
        for (n, occurrence) in candidates.iter().filter(|(_, o)| missing.contains(&(o.job, o.period_key.clone()))) {
            let trigger = if now - occurrence.utc > LATE_AFTER { Trigger::CatchUp } else { Trigger::Schedule };
            if let RunOutcome::Ran(_) = run_once(&self.pool, self.handlers[*n].as_ref(), occurrence, trigger).await? {
                ran += 1;
            }
        }
        Ok(ran)
    }

    fn until_next(&self) -> Duration {
        let now = (self.clock)();
        self.handlers
            .iter()
            .filter_map(|h| schedule::upcoming_by(h.job(), h.rule(), self.tz, now, 1).into_iter().next())
            .map(|o| (o.utc - now).to_std().unwrap_or(Duration::ZERO))
            .min()
            .unwrap_or(MAX_SLEEP)
    }
}

/// Runs one period of one job in one transaction with its ledger row.
pub async fn run_once(
    pool: &DbPool,
    handler: &dyn JobHandler,
    occurrence: &Occurrence,
    trigger: Trigger,
) -> anyhow::Result<RunOutcome> {
    let mut client = pool.get().await?;
    let tx = client.transaction().await?;
    let outcome = run_in(&tx, pool, handler, occurrence, trigger).await?;
    if let RunOutcome::Ran(summary) = &outcome {
        tx.commit().await?;
        record_success(occurrence, trigger, summary);
    }
    Ok(outcome)
}

/// Records the ledger row and does the work inside `tx`, which the caller commits (with writes of its own, such as
/// marking a queued request done); the caller calls [`record_success`] after the commit.
pub async fn run_in(
    tx: &Transaction<'_>,
    pool: &DbPool,
    handler: &dyn JobHandler,
    occurrence: &Occurrence,
    trigger: Trigger,
) -> anyhow::Result<RunOutcome> {
    let Some(key) = ledger::claim(tx, occurrence, trigger).await? else {
        return Ok(RunOutcome::AlreadyRun);
    };
    let span =
        tracing::info_span!("job", job = %occurrence.job, period = %occurrence.period_key, trigger = trigger.as_str());
    let summary = tracing::Instrument::instrument(handler.run(tx, pool, occurrence), span).await?;
    ledger::finish(tx, occurrence, &key, &summary).await?;
    Ok(RunOutcome::Ran(summary))
}

/// Logs and counts a run that committed.
pub fn record_success(occurrence: &Occurrence, trigger: Trigger, summary: &serde_json::Value) {
    tracing::info!(job = %occurrence.job, period = %occurrence.period_key, trigger = trigger.as_str(),
                   summary = %summary, "job finished");
    metrics::counter!("pathfinder_job_runs_total", "job" => occurrence.job.name(), "trigger" => trigger.as_str())
        .increment(1);
    metrics::gauge!("pathfinder_job_last_success_timestamp_seconds", "job" => occurrence.job.name())
        .set(Utc::now().timestamp() as f64);
}
