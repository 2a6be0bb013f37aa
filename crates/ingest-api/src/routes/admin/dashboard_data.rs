//! What the dashboard shows, read in one go: the operator's counts ([`super::overview`], shared with
//! `GET /admin/stats`), then the dashboard's own lists (latest detections, detections per week, latest reports).

use chrono::{DateTime, Duration, Utc};
use pathfinder_core::db::{QueryError, RowExt};
use serde::Serialize;
use tokio_postgres::GenericClient;

use super::overview::{self, EventCounts};

/// Failed digests listed on the dashboard, newest first.
const FAILED_LISTED: i64 = 10;

#[derive(Debug, Serialize)]
pub struct Dashboard {
    pub events: EventCounts,
    pub seniors_c_suite: i64,
    pub seniors_vp: i64,
    pub detections_total: i64,
    pub detections_week: i64,
    pub queue_depth: i64,
    pub oldest_pending: String,
    pub weeks: Vec<WeekBar>,
    pub chart_width: u32,
    pub recent: Vec<RecentRow>,
    pub digests: Vec<StatusCount>,
    pub failed_digests: Vec<FailedDigest>,
    /// The latest manual digest runs (`POST /admin/send-digests`, the button).
    pub digest_runs: Vec<DigestRunRow>,
    pub reports: Vec<ReportRow>,
    /// Outbound webhook endpoints with their delivery counts (never their secrets).
    pub endpoints: Vec<pathfinder_core::outbound::endpoints::Endpoint>,
}

#[derive(Debug, Serialize)]
pub struct DigestRunRow {
    pub requested: String,
    pub requested_by: String,
    /// pending, done or failed
    pub status: String,
    /// Per channel, the detections the run put into digests, e.g. "email 3, teams 3".
    pub built: String,
    pub error: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct WeekBar {
    pub label: String,
    pub count: i64,
    pub x: u32,
    pub y: u32,
    pub height: u32,
    pub label_x: u32,
}

#[derive(Debug, Serialize)]
pub struct RecentRow {
    pub detected: String,
    pub member: String,
    /// community or discourse
    pub source: String,
    pub title: String,
    pub level: &'static str,
    pub kind: &'static str,
}

#[derive(Debug, Serialize)]
pub struct StatusCount {
    pub status: String,
    pub count: i64,
}

#[derive(Debug, Serialize)]
pub struct FailedDigest {
    pub id: i64,
    pub channel: String,
    pub attempts: i32,
    pub error: String,
}

#[derive(Debug, Serialize)]
pub struct ReportRow {
    pub id: i64,
    pub month: String,
    pub kind: String,
    pub status: String,
    pub detections: Option<i32>,
    pub local: bool,
    pub csv_uri: Option<String>,
    pub html_uri: Option<String>,
    pub attempts: i32,
    /// The last build error: why a report is `failed`, or why a pending one is being retried.
    pub error: Option<String>,
}

const RECENT: &str = "
SELECT detected_at, coalesce(username, user_id) AS member, title, seniority, kind, source FROM detections
ORDER BY detected_at DESC, id DESC LIMIT 20";

const DIGEST_RUNS: &str = "
SELECT requested_at, requested_by, status, summary, last_error FROM digest_requests ORDER BY id DESC LIMIT 5";

const REPORTS: &str = "
SELECT id, to_char(month, 'YYYY-MM') AS month, kind, status, detection_count, csv_uri, html_uri, attempts, last_error
FROM reports ORDER BY month DESC, id DESC LIMIT 12";

pub async fn load(client: &(impl GenericClient + Sync), tz: chrono_tz::Tz) -> Result<Dashboard, QueryError> {
    let counts = overview::counts(client).await?;
    let oldest_pending = counts
        .oldest_pending
        .map_or_else(|| "none".to_string(), |at| format!("{} s", (Utc::now() - at).num_seconds().max(0)));
    let weeks = weeks(client, tz).await?;
    let recent = client
        .query(RECENT, &[])
        .await?
        .iter()
        .map(|r| {
            Ok(RecentRow {
                detected: r
                    .column::<DateTime<Utc>>("detected_at")?
                    .with_timezone(&tz)
                    .format("%Y-%m-%d %H:%M %Z")
                    .to_string(),
                member: r.column("member")?,
                source: r.column("source")?,
                title: r.column("title")?,
                level: if r.column::<&str>("seniority")? == "c_suite" { "C-suite" } else { "VP" },
                kind: if r.column::<&str>("kind")? == "promotion" { "promoted from VP" } else { "new" },
            })
        })
        .collect::<Result<_, QueryError>>()?;
    let digests = overview::digests_by_status(client)
        .await?
        .into_iter()
        .map(|(status, count)| StatusCount { status, count })
        .collect();
    let failed_digests = overview::failed_digests(client, FAILED_LISTED)
        .await?
        .into_iter()
        .map(|f| FailedDigest {
            id: f.id,
            channel: f.channel,
            attempts: f.attempts,
            error: f.last_error.unwrap_or_default(),
        })
        .collect();
    let digest_runs = client
        .query(DIGEST_RUNS, &[])
        .await?
        .iter()
        .map(|r| {
            let summary: Option<serde_json::Value> = r.column("summary")?;
            Ok(DigestRunRow {
                requested: r
                    .column::<DateTime<Utc>>("requested_at")?
                    .with_timezone(&tz)
                    .format("%Y-%m-%d %H:%M %Z")
                    .to_string(),
                requested_by: r.column("requested_by")?,
                status: r.column("status")?,
                built: summary.as_ref().and_then(|s| s.as_object()).map_or_else(String::new, |channels| {
                    let each = channels.iter().map(|(channel, built)| format!("{channel} {}", built["detections"]));
                    each.collect::<Vec<_>>().join(", ")
                }),
                error: r.column("last_error")?,
            })
        })
        .collect::<Result<_, QueryError>>()?;
    let reports = client
        .query(REPORTS, &[])
        .await?
        .iter()
        .map(|r| {
            let csv_uri: Option<String> = r.column("csv_uri")?;
            Ok(ReportRow {
                id: r.column("id")?,
                month: r.column("month")?,
                kind: r.column::<String>("kind")?.replace('_', " "),
                status: r.column("status")?,
                detections: r.column("detection_count")?,
                local: csv_uri.as_deref().is_some_and(|u| u.starts_with("file://")),
                csv_uri,
                html_uri: r.column("html_uri")?,
                attempts: r.column("attempts")?,
                error: r.column("last_error")?,
            })
        })
        .collect::<Result<_, QueryError>>()?;
    Ok(Dashboard {
        seniors_c_suite: counts.seniors.c_suite,
        seniors_vp: counts.seniors.vp,
        detections_total: counts.detections.total,
        detections_week: counts.detections.last_7_days,
        queue_depth: counts.events.pending,
        events: counts.events,
        oldest_pending,
        chart_width: 720,
        weeks,
        recent,
        digests,
        failed_digests,
        digest_runs,
        reports,
        endpoints: pathfinder_core::outbound::endpoints::list(client).await?,
    })
}

/// Detections per week for the last 12 weeks (Monday-based, local), as bar geometry for the inline SVG.
async fn weeks(client: &impl GenericClient, tz: chrono_tz::Tz) -> Result<Vec<WeekBar>, QueryError> {
    let rows = client
        .query(
            "SELECT date_trunc('week', detected_at AT TIME ZONE $1)::date AS monday, count(*) AS count FROM detections
             WHERE detected_at > now() - interval '12 weeks' GROUP BY 1",
            &[&tz.name()],
        )
        .await?;
    let counts: std::collections::HashMap<chrono::NaiveDate, i64> =
        rows.iter().map(|r| Ok((r.column("monday")?, r.column("count")?))).collect::<Result<_, QueryError>>()?;
    let today = Utc::now().with_timezone(&tz).date_naive();
    let this_monday = today - Duration::days(i64::from(chrono::Datelike::weekday(&today).num_days_from_monday()));
    let max = counts.values().copied().max().unwrap_or(0).max(1);
    let (slot, width, baseline, top) = (60u32, 36u32, 150u32, 20u32);
    Ok((0..12)
        .map(|i| {
            let monday = this_monday - Duration::weeks(11 - i64::from(i));
            let count = counts.get(&monday).copied().unwrap_or(0);
            let height =
                u32::try_from(count * i64::from(baseline - top) / max).unwrap_or(0).max(u32::from(count > 0) * 2);
            WeekBar {
                label: monday.format("%b %-d").to_string(),
                count,
                x: i * slot + (slot - width) / 2,
                y: baseline - height,
                height,
                label_x: i * slot + slot / 2,
            }
        })
        .collect())
}
