//! The scheduled job `discourse-reconcile` and the classifier task that works its passes.
//!
//! The job (run by the scheduler in the `job_runs` ledger's transaction, once a day at `reconcile_hour`) only
//! opens a pass, or finds the one still open; it takes milliseconds, so no transaction stays open for the hours a
//! pass may take. The [`run_worker`] task of every classifier replica looks for an open pass whose lease is free and
//! works it: one replica at a time, and after a crash another (or the restarted one) continues at its cursor once
//! the lease expires.

use std::time::Duration;

use futures_util::FutureExt;
use futures_util::future::BoxFuture;
use pathfinder_core::db::DbPool;
use pathfinder_core::jobs::JobHandler;
use pathfinder_core::schedule::{Job, Occurrence, Rule};
use tokio_postgres::Transaction;
use tokio_util::sync::CancellationToken;

use super::{DriveOutcome, Reconciler, pass};

/// How often an idle worker looks for an open pass.
const POLL: Duration = Duration::from_secs(15);
/// Pause after a pass stopped on an error before it is tried again.
const AFTER_ERROR: Duration = Duration::from_secs(5 * 60);

/// Opens the day's pass (or keeps the open one going); the work is done by [`run_worker`] or, for a manual run
/// (`pathfinder jobs run discourse-reconcile`), by the CLI itself.
pub struct DiscourseReconcileJob {
    pub manual: bool,
    /// `PATHFINDER_DISCOURSE__RECONCILE_HOUR`.
    pub rule: Rule,
}

impl JobHandler for DiscourseReconcileJob {
    fn job(&self) -> Job {
        Job::DiscourseReconcile
    }

    fn rule(&self) -> Rule {
        self.rule
    }

    fn run<'a>(
        &'a self,
        tx: &'a Transaction<'a>,
        _pool: &'a DbPool,
        occurrence: &'a Occurrence,
    ) -> BoxFuture<'a, anyhow::Result<serde_json::Value>> {
        async move {
            let late = occurrence.utc < chrono::Utc::now() - chrono::Duration::minutes(5);
            let trigger = match (self.manual, late) {
                (true, _) => "manual",
                (false, true) => "catch-up",
                (false, false) => "schedule",
            };
            let (id, resumed) = pass::start_or_resume(tx, trigger).await?;
            Ok(serde_json::json!({ "pass": id, "resumed": resumed }))
        }
        .boxed()
    }
}

/// Works open passes until shutdown (a pass in progress stops between two requests; its cursor holds).
pub async fn run_worker(reconciler: Reconciler, shutdown: CancellationToken) {
    while !shutdown.is_cancelled() {
        let pause = tokio::select! {
            _ = shutdown.cancelled() => {
                if let Err(error) = pass::release_all(&reconciler.pool, &reconciler.holder).await {
                    tracing::warn!(code = error.code(), error = %error, "could not release the reconciliation lease");
                }
                break;
            }
            outcome = reconciler.drive() => match outcome {
                Ok(DriveOutcome::Finished { .. }) => Duration::ZERO,
                Ok(_) => POLL,
                Err(_) => AFTER_ERROR,
            },
        };
        tokio::select! {
            _ = shutdown.cancelled() => break,
            _ = tokio::time::sleep(pause) => {}
        }
    }
}
