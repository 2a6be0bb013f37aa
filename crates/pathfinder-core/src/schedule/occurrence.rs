//! The scheduled jobs and one firing of one of them.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, FixedOffset, SecondsFormat, Utc};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Job {
    WeeklyDigest,
    MonthEndReport,
    PurgeEvents,
    /// Discourse reconciliation (optional, off unless `PATHFINDER_DISCOURSE__RECONCILE_ENABLED`).
    DiscourseReconcile,
}

/// What a job catches up after downtime (the scheduler runs the missed periods that rule names, oldest first).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CatchUp {
    /// Only the latest missed period: one run does the work of every missed one.
    LatestOnly,
    /// Every missed period since the install: each period has its own result.
    EveryPeriod,
}

impl Job {
    pub const ALL: [Job; 4] = [Job::WeeklyDigest, Job::MonthEndReport, Job::PurgeEvents, Job::DiscourseReconcile];

    /// The catch-up rule of each job:
    /// - `weekly-digest`: the latest missed week only; its digests carry every detection not yet sent, so earlier
    ///   weeks would build nothing;
    /// - `month-end-report`: every missed month, each its own report;
    /// - `purge-events`: the latest missed day only; one purge removes everything past retention.
    /// - `discourse-reconcile`: the latest missed day only; one pass reads every member as they are now.
    pub fn catch_up(self) -> CatchUp {
        match self {
            Self::WeeklyDigest | Self::PurgeEvents | Self::DiscourseReconcile => CatchUp::LatestOnly,
            Self::MonthEndReport => CatchUp::EveryPeriod,
        }
    }

    /// The job's name in the CLI, the ledger and the logs.
    pub fn name(self) -> &'static str {
        match self {
            Self::WeeklyDigest => "weekly-digest",
            Self::MonthEndReport => "month-end-report",
            Self::PurgeEvents => "purge-events",
            Self::DiscourseReconcile => "discourse-reconcile",
        }
    }
}

impl fmt::Display for Job {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown job {0:?}: expected weekly-digest, month-end-report, purge-events or discourse-reconcile")]
pub struct ParseJobError(pub String);

impl FromStr for Job {
    type Err = ParseJobError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        Self::ALL.into_iter().find(|job| job.name() == text).ok_or_else(|| ParseJobError(text.to_string()))
    }
}

/// One firing: when (local and UTC) and the period it stands for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Occurrence {
    pub job: Job,
    pub local: DateTime<FixedOffset>,
    pub utc: DateTime<Utc>,
    pub period_key: String,
}

impl Occurrence {
    /// `{"job","local","utc"}` exactly as the contract shows `pathfinder schedule --json` lines.
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::json!({
            "job": self.job.name(),
            "local": self.local.to_rfc3339_opts(SecondsFormat::Secs, false),
            "utc": self.utc.to_rfc3339_opts(SecondsFormat::Secs, true),
        })
    }
}
