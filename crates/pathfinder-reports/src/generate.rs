//! Generating one report: read the period's detections, write the CSV and the HTML, return their URIs and figures.

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use tokio_postgres::GenericClient;

use crate::csv_report;
use crate::data::{self, ReportData};
use crate::html_report::HtmlReport;
use crate::month::Month;
use crate::storage::ReportStorage;

pub struct Generator {
    pub html: HtmlReport,
    pub storage: ReportStorage,
    pub tz: Tz,
}

/// A written report.
#[derive(Debug, Clone)]
pub struct Written {
    pub csv_uri: String,
    pub html_uri: String,
    pub data: ReportData,
}

impl Generator {
    /// The month's report; `until` cuts a month-to-date report short (None: the whole month).
    pub async fn generate(
        &self,
        client: &impl GenericClient,
        month: Month,
        until: Option<DateTime<Utc>>,
    ) -> anyhow::Result<Written> {
        let end = until.map_or(month.end(), |u| u.min(month.end()));
        let label = if until.is_some() { format!("{} (to date)", month.label()) } else { month.label() };
        let period = data::Period {
            tz: self.tz,
            first_day: month.first_day,
            start: month.start(),
            end,
            label,
            month_key: month.key(),
            month_to_date: until.is_some(),
        };
        let data = data::load(client, period).await?;
        let csv = csv_report::render(&data)?;
        let html = self.html.render(&data)?;
        let key = month.key();
        let stem = if until.is_some() { format!("{key}-to-date") } else { key.clone() };
        let csv_uri = self.storage.put(&key, &stem, "csv", csv).await?;
        let html_uri = self.storage.put(&key, &stem, "html", html.into_bytes()).await?;
        metrics::counter!("pathfinder_reports_written_total").increment(1);
        Ok(Written { csv_uri, html_uri, data })
    }
}

/// The figures stored on the reports row and returned as the job summary.
pub fn summary(written: &Written) -> serde_json::Value {
    serde_json::json!({
        "month": written.data.month_key,
        "detections": written.data.total,
        "new": written.data.new_count,
        "promotions": written.data.promotion_count,
        "c_suite": written.data.c_suite_count,
        "vp": written.data.vp_count,
        "csv": written.csv_uri,
        "html": written.html_uri,
    })
}
