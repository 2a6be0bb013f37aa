//! The scheduled jobs of report-builder (also run by `pathfinder jobs run`): `month-end-report` and `purge-events`,
//! and their handlers built from settings.

use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Context;
use futures_util::FutureExt;
use futures_util::future::BoxFuture;
use pathfinder_core::Settings;
use pathfinder_core::db::DbPool;
use pathfinder_core::jobs::JobHandler;
use pathfinder_core::schedule::{Job, Occurrence};
use tokio_postgres::Transaction;

use crate::generate::{self, Generator};
use crate::html_report::HtmlReport;
use crate::month::Month;
use crate::purge;
use crate::storage::ReportStorage;

/// The generator settings describe (templates and storage).
pub fn generator(settings: &Settings) -> anyhow::Result<Arc<Generator>> {
    let html = HtmlReport::load(&PathBuf::from(&settings.delivery.templates_dir)).with_context(|| {
        format!("templates in PATHFINDER_DELIVERY__TEMPLATES_DIR={}", settings.delivery.templates_dir)
    })?;
    let storage = ReportStorage::from_settings(&settings.storage, &settings.reports_dir)?;
    Ok(Arc::new(Generator { html, storage, tz: settings.tz() }))
}

/// The handlers of report-builder's scheduled jobs.
pub fn handlers(settings: &Settings, generator: Arc<Generator>) -> (MonthEndReportJob, PurgeEventsJob) {
    (
        MonthEndReportJob { generator: generator.clone() },
        PurgeEventsJob { retention: purge::Retention::from_settings(settings), generator },
    )
}

/// Writes the month's report and upserts its `reports` row in the job's transaction: if writing a file fails the
/// transaction rolls back, so no row ever claims a file that does not exist, and the scheduler tries again.
pub struct MonthEndReportJob {
    pub generator: Arc<Generator>,
}

const UPSERT: &str = "
INSERT INTO reports (month, kind, status, period_start, period_end, csv_uri, html_uri, detection_count, new_count,
                     promotion_count, c_suite_count, vp_count, attempts, completed_at)
VALUES ($1, 'month_end', 'ready', $2, $3, $4, $5, $6, $7, $8, $9, $10, 1, now())
ON CONFLICT (month) WHERE kind = 'month_end' DO UPDATE SET
    status = 'ready', csv_uri = EXCLUDED.csv_uri, html_uri = EXCLUDED.html_uri,
    detection_count = EXCLUDED.detection_count, new_count = EXCLUDED.new_count,
    promotion_count = EXCLUDED.promotion_count, c_suite_count = EXCLUDED.c_suite_count, vp_count = EXCLUDED.vp_count,
    attempts = reports.attempts + 1, last_error = NULL, completed_at = now()";

impl JobHandler for MonthEndReportJob {
    fn job(&self) -> Job {
        Job::MonthEndReport
    }

    fn run<'a>(
        &'a self,
        tx: &'a Transaction<'a>,
        _pool: &'a DbPool,
        occurrence: &'a Occurrence,
    ) -> BoxFuture<'a, anyhow::Result<serde_json::Value>> {
        async move {
            let month = Month::parse(&occurrence.period_key, self.generator.tz)
                .ok_or_else(|| anyhow::anyhow!("period {} is not a month", occurrence.period_key))?;
            let written = self.generator.generate(tx, month, None).await?;
            let count = |n: usize| i32::try_from(n).unwrap_or(i32::MAX);
            let data = &written.data;
            tx.execute(
                UPSERT,
                &[
                    &month.first_day,
                    &month.start(),
                    &month.end(),
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
            Ok(generate::summary(&written))
        }
        .boxed()
    }
}

/// Daily housekeeping: every retention period of the settings (see [`purge`]), in short batches.
pub struct PurgeEventsJob {
    pub retention: purge::Retention,
    pub generator: Arc<Generator>,
}

impl JobHandler for PurgeEventsJob {
    fn job(&self) -> Job {
        Job::PurgeEvents
    }

    fn run<'a>(
        &'a self,
        _tx: &'a Transaction<'a>,
        pool: &'a DbPool,
        _occurrence: &'a Occurrence,
    ) -> BoxFuture<'a, anyhow::Result<serde_json::Value>> {
        async move {
            let purged = purge::purge(pool, &self.retention, &self.generator.storage).await?;
            Ok(serde_json::to_value(purged)?)
        }
        .boxed()
    }
}
