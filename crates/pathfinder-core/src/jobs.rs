//! Scheduled jobs: the exactly-once ledger ([`ledger`]) and the loop that fires due jobs ([`scheduler`]).
//!
//! A job's work runs in the same transaction that records its (job, period) row in `job_runs`, so however many
//! replicas race, one period runs once; a run that fails rolls back and is tried again.

pub mod ledger;
pub mod scheduler;

use futures_util::future::BoxFuture;
use tokio_postgres::Transaction;

use crate::db::DbPool;
use crate::schedule::{Job, Occurrence, Rule};

/// The pause before attempt `next` (2 and up) of queued work that failed (reports, manual digest runs): 1, 2, 4, 8
/// minutes, at most an hour.
pub fn retry_backoff(next: i32) -> std::time::Duration {
    let exponent = u32::try_from(next.clamp(2, 8) - 2).unwrap_or(0);
    std::time::Duration::from_secs(60).saturating_mul(2u32.pow(exponent)).min(std::time::Duration::from_secs(3600))
}

/// Why a job ran (`job_runs.trigger`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Trigger {
    /// At its scheduled time.
    Schedule,
    /// Late: its time passed while no replica was running.
    CatchUp,
    /// By an operator (`pathfinder jobs run`, admin API); never stands in for the scheduled run.
    Manual,
}

impl Trigger {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Schedule => "schedule",
            Self::CatchUp => "catch-up",
            Self::Manual => "manual",
        }
    }
}

/// A job's work. `run` gets the ledger transaction (write the job's results there, so they commit with the ledger
/// row) and the pool (for work that must not hold one long transaction, such as batched purges).
pub trait JobHandler: Send + Sync {
    fn job(&self) -> Job;

    /// When the job fires: the product's schedule, unless the handler is configured otherwise.
    fn rule(&self) -> Rule {
        Rule::of(self.job())
    }

    /// Does the work for `occurrence`; returns a JSON summary stored in `job_runs.summary` and logged.
    fn run<'a>(
        &'a self,
        tx: &'a Transaction<'a>,
        pool: &'a DbPool,
        occurrence: &'a Occurrence,
    ) -> BoxFuture<'a, anyhow::Result<serde_json::Value>>;
}
