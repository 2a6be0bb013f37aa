//! Reconciliation for Discourse (`discourse-reconcile`, optional): catching up profile edits whose webhook was lost.
//!
//! Once a day (at `PATHFINDER_DISCOURSE__RECONCILE_HOUR` in `TIMEZONE`, by the job scheduler and its `job_runs`
//! ledger) a *pass* is started ([`pass`]). A worker task of the classifier then works the open pass under a lease: it reads the members page by
//! page from Discourse's admin API ([`client`]), compares each member's job title with the last one known
//! ([`page`]), and stores every title that differs as an event in `events_raw`, with an idempotent dedupe key, as a
//! webhook would be: the classifier's workers then apply it and write the detection. Each page commits its events,
//! the members' reconciliation records and the pass's cursor together, so a crash or restart continues at the page
//! it was reading, and nothing is fed twice.
//!
//! "The last title known" of a member is the newest of: their latest raw event (webhook or reconciliation), their
//! `user_state` row (seniors, imported or detected), and `reconcile_titles` (the SHA-256 of the title the last
//! pass saw; the only trace of members who are not senior once their events are purged). A member nothing is known
//! about (never seen, or joined without a webhook) is fed only when their title is senior now.

pub mod client;
pub mod job;
pub mod page;
pub mod pass;

use std::sync::Arc;
use std::time::Duration;

use pathfinder_core::Settings;
use pathfinder_core::db::DbPool;
use serde::Serialize;

use crate::rules::SharedRules;
use client::DiscourseClient;

/// Why a pass stopped before its end. Each has a stable code; none carries the API key.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReconcileError {
    #[error(
        "discourse-api-refused: Discourse answered {0} to the admin API: check PATHFINDER_DISCOURSE__API_KEY and \
         PATHFINDER_DISCOURSE__API_USERNAME (an admin key, and the user it acts as)"
    )]
    Refused(u16),
    #[error("discourse-rate-limited: Discourse kept answering 429 (last wait asked: {0} s); the pass continues later")]
    RateLimited(u64),
    #[error("discourse-api-unreachable: {0}")]
    Unreachable(String),
    #[error("discourse-api-status: Discourse answered {0}")]
    Status(String),
    #[error("discourse-api-malformed: an answer was not the JSON Discourse sends: {0}")]
    Malformed(String),
    #[error("reconcile-lease-lost: another process took over the pass")]
    LeaseLost,
    #[error("reconcile-database: {0}")]
    Database(String),
    /// A column could not be read as this build expects (the message starts with `schema-drift`).
    #[error("{0}")]
    SchemaDrift(String),
}

impl ReconcileError {
    /// The stable code (the message's first word).
    pub fn code(&self) -> &'static str {
        match self {
            Self::Refused(_) => "discourse-api-refused",
            Self::RateLimited(_) => "discourse-rate-limited",
            Self::Unreachable(_) => "discourse-api-unreachable",
            Self::Status(_) => "discourse-api-status",
            Self::Malformed(_) => "discourse-api-malformed",
            Self::LeaseLost => "reconcile-lease-lost",
            Self::Database(_) => "reconcile-database",
            Self::SchemaDrift(_) => pathfinder_core::db::SchemaDrift::CODE,
        }
    }
}

impl From<tokio_postgres::Error> for ReconcileError {
    fn from(error: tokio_postgres::Error) -> Self {
        Self::Database(pathfinder_core::db::describe(&error))
    }
}

impl From<pathfinder_core::db::SchemaDrift> for ReconcileError {
    fn from(error: pathfinder_core::db::SchemaDrift) -> Self {
        Self::SchemaDrift(error.to_string())
    }
}

impl From<deadpool_postgres::PoolError> for ReconcileError {
    fn from(error: deadpool_postgres::PoolError) -> Self {
        Self::Database(pathfinder_core::db::describe(&error))
    }
}

/// Counts of one pass (also stored on its `reconcile_passes` row).
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PassCounts {
    /// Members whose title was read and compared.
    pub members: i32,
    /// Of those, the title was the last one known.
    pub unchanged: i32,
    /// Of those, the title differed and was stored as an event.
    pub fed: i32,
    /// Members not compared: staged or system users, gone meanwhile, opted out, or with a newer webhook than our read.
    pub skipped: i32,
}

/// How a run of [`Reconciler::drive`] ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase", tag = "outcome")]
pub enum DriveOutcome {
    /// No pass is open.
    NoPass,
    /// Another process holds the open pass's lease.
    Busy { pass: i64, holder: String },
    /// The open pass read its page limit for the day; the next scheduled (or manual) run continues it.
    Waiting { pass: i64, next_page: i32 },
    /// The pass reached the end of the member list.
    Finished { pass: i64, pages: i32, counts: PassCounts },
    /// The run read its `reconcile_max_pages`; the pass continues at the next run.
    Paused { pass: i64, next_page: i32, counts: PassCounts },
}

/// What a pass needs: where to read, what to compare with, where to write.
pub struct Reconciler {
    pub pool: DbPool,
    pub client: Arc<DiscourseClient>,
    pub rules: SharedRules,
    /// Who holds the lease (`classifier-<instance>`, `cli:<login>`).
    pub holder: String,
    pub field_id: String,
    pub profile_field: String,
    /// 0: no limit.
    pub max_pages: u32,
    pub lease: Duration,
}

/// How long a pass's lease lasts without being renewed (each request renews it).
pub const LEASE: Duration = Duration::from_secs(20 * 60);

impl Reconciler {
    pub fn from_settings(
        settings: &Settings,
        pool: DbPool,
        rules: SharedRules,
        holder: String,
    ) -> anyhow::Result<Self> {
        let discourse = &settings.discourse;
        let client = DiscourseClient::new(
            &discourse.base_url,
            &discourse.api_key,
            &discourse.api_username,
            discourse.reconcile_requests_per_minute,
            Duration::from_millis(discourse.reconcile_timeout_ms),
        )?;
        Ok(Self {
            pool,
            client: Arc::new(client),
            rules,
            holder,
            field_id: discourse.job_title_field_id.clone(),
            profile_field: discourse.profile_field_name.clone(),
            max_pages: discourse.reconcile_max_pages,
            lease: LEASE,
        })
    }

    /// Works the open pass until its end, the page limit, or an error (recorded on the pass, which keeps its cursor).
    pub async fn drive(&self) -> Result<DriveOutcome, ReconcileError> {
        let Some(claimed) = pass::claim(&self.pool, &self.holder, self.lease).await? else {
            return Ok(match pass::open(&self.pool).await? {
                Some(open) if open.waiting => DriveOutcome::Waiting { pass: open.id, next_page: open.next_page },
                Some(open) => DriveOutcome::Busy { pass: open.id, holder: open.holder },
                None => DriveOutcome::NoPass,
            });
        };
        let span = tracing::info_span!("reconcile", pass = claimed.id, start_page = claimed.next_page);
        let result = tracing::Instrument::instrument(self.work(claimed.clone()), span).await;
        if let Err(error) = &result {
            tracing::warn!(pass = claimed.id, code = error.code(), error = %error, "reconciliation pass stopped");
            pass::record_error(&self.pool, claimed.id, &self.holder, &error.to_string()).await?;
        }
        result
    }

    async fn work(&self, mut current: pass::Claimed) -> Result<DriveOutcome, ReconcileError> {
        let mut pages_this_run = 0u32;
        loop {
            if self.max_pages > 0 && pages_this_run >= self.max_pages {
                pass::pause(&self.pool, current.id, &self.holder).await?;
                tracing::info!(
                    pass = current.id,
                    next_page = current.next_page,
                    "reconciliation paused at the page limit"
                );
                return Ok(DriveOutcome::Paused {
                    pass: current.id,
                    next_page: current.next_page,
                    counts: current.counts,
                });
            }
            let read = page::read(self, current.id, current.next_page).await?;
            let last = read.listed < client::PAGE_SIZE;
            let counts = page::apply(self, &current, &read).await?;
            pages_this_run += 1;
            current.counts = current.counts.plus(counts);
            current.next_page += 1;
            if last {
                pass::finish(&self.pool, current.id, &self.holder, &current.counts).await?;
                tracing::info!(
                    pass = current.id,
                    members = current.counts.members,
                    fed = current.counts.fed,
                    "reconciliation pass finished"
                );
                return Ok(DriveOutcome::Finished {
                    pass: current.id,
                    pages: current.next_page - 1,
                    counts: current.counts,
                });
            }
        }
    }
}

impl PassCounts {
    fn plus(self, other: Self) -> Self {
        Self {
            members: self.members + other.members,
            unchanged: self.unchanged + other.unchanged,
            fed: self.fed + other.fed,
            skipped: self.skipped + other.skipped,
        }
    }
}
