//! `pathfinder jobs run <job> [--at RFC3339]`: run one scheduled job now, for the period containing that instant.
//!
//! A manual run always does the work and is recorded in `job_runs` under a key of its own, so it never stands in
//! for the scheduled run of that period. `discourse-reconcile` opens a pass (or continues the open one) and works
//! it here, printing its counts (see [`reconcile`]).

use std::sync::Arc;

use anyhow::Context;
use chrono::{DateTime, Utc};
use clap::Subcommand;
use pathfinder_core::jobs::scheduler::{RunOutcome, run_once};
use pathfinder_core::jobs::{JobHandler, Trigger};
use pathfinder_core::schedule::{self, Job};
use pathfinder_core::{Settings, db, migrations};

use super::reconcile;

#[derive(Debug, Subcommand)]
pub enum JobsCommand {
    /// Run a job now: weekly-digest, month-end-report, purge-events or discourse-reconcile.
    Run {
        /// The job's name.
        job: Job,
        /// Run it for the period containing this instant (RFC 3339); default now.
        #[arg(long)]
        at: Option<String>,
    },
}

pub async fn run(settings: &Settings, command: JobsCommand) -> anyhow::Result<()> {
    let JobsCommand::Run { job, at } = command;
    let at = match at {
        Some(text) => DateTime::parse_from_rfc3339(&text)
            .with_context(|| format!("--at {text:?} is not an RFC 3339 instant such as 2027-03-12T22:00:00Z"))?
            .with_timezone(&Utc),
        None => Utc::now(),
    };
    let handler: Arc<dyn JobHandler> = match job {
        Job::WeeklyDigest => Arc::new(pathfinder_digests::weekly::WeeklyDigestJob {
            channels: pathfinder_digests::channels::enabled(settings),
        }),
        Job::MonthEndReport => {
            let (month_end, _) =
                pathfinder_reports::jobs::handlers(settings, pathfinder_reports::jobs::generator(settings)?);
            Arc::new(month_end)
        }
        Job::PurgeEvents => {
            let (_, purge) =
                pathfinder_reports::jobs::handlers(settings, pathfinder_reports::jobs::generator(settings)?);
            Arc::new(purge)
        }
        Job::DiscourseReconcile => return reconcile::run(settings).await,
    };
    let pool = db::create_pool(settings, "pathfinder-jobs")?;
    migrations::ensure_current(&*pool.get().await?).await?;
    let occurrence = schedule::period_containing(job, settings.tz(), at);
    match run_once(&pool, handler.as_ref(), &occurrence, Trigger::Manual).await? {
        RunOutcome::Ran(summary) => println!("{job} ran for period {}: {summary}", occurrence.period_key),
        RunOutcome::AlreadyRun => println!("{job} for period {} is already running", occurrence.period_key),
    }
    Ok(())
}
