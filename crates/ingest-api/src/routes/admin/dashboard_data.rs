//! What the dashboard shows, read in one go.

use chrono::{DateTime, Duration, Utc};
use serde::Serialize;
use tokio_postgres::GenericClient;

#[derive(Debug, Serialize)]
pub struct Dashboard {
    pub events: Counts,
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
    pub reports: Vec<ReportRow>,
    /// Outbound webhook endpoints with their delivery counts (never their secrets).
    pub endpoints: Vec<pathfinder_core::outbound::endpoints::Endpoint>,
}

#[derive(Debug, Serialize)]
pub struct Counts {
    pub received: i64,
    pub pending: i64,
    pub processed: i64,
    pub failed: i64,
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

const COUNTS: &str = "
SELECT (SELECT count(*) FROM events_raw),
       (SELECT count(*) FROM events_raw WHERE status = 'pending'),
       (SELECT count(*) FROM events_raw WHERE status = 'processed'),
       (SELECT count(*) FROM events_raw WHERE status = 'failed'),
       (SELECT count(*) FROM user_state WHERE seniority = 'c_suite'),
       (SELECT count(*) FROM user_state WHERE seniority = 'vp'),
       (SELECT count(*) FROM detections),
       (SELECT count(*) FROM detections WHERE detected_at > now() - interval '7 days'),
       (SELECT min(received_at) FROM events_raw WHERE status = 'pending')";

pub async fn load(client: &(impl GenericClient + Sync), tz: chrono_tz::Tz) -> Result<Dashboard, tokio_postgres::Error> {
    let row = client.query_one(COUNTS, &[]).await?;
    let oldest: Option<DateTime<Utc>> = row.get(8);
    let oldest_pending =
        oldest.map_or_else(|| "none".to_string(), |at| format!("{} s", (Utc::now() - at).num_seconds().max(0)));
    let weeks = weeks(client, tz).await?;
    let recent = client
        .query(
            "SELECT detected_at, coalesce(username, user_id), title, seniority, kind, source FROM detections
             ORDER BY detected_at DESC, id DESC LIMIT 20",
            &[],
        )
        .await?
        .iter()
        .map(|r| RecentRow {
            detected: r.get::<_, DateTime<Utc>>(0).with_timezone(&tz).format("%Y-%m-%d %H:%M %Z").to_string(),
            member: r.get(1),
            source: r.get(5),
            title: r.get(2),
            level: if r.get::<_, &str>(3) == "c_suite" { "C-suite" } else { "VP" },
            kind: if r.get::<_, &str>(4) == "promotion" { "promoted from VP" } else { "new" },
        })
        .collect();
    let digests = client
        .query("SELECT status, count(*) FROM digests GROUP BY status ORDER BY status", &[])
        .await?
        .iter()
        .map(|r| StatusCount { status: r.get(0), count: r.get(1) })
        .collect();
    let failed_digests = client
        .query("SELECT id, channel, attempts, coalesce(last_error, '') FROM digests WHERE status = 'failed' ORDER BY id DESC LIMIT 10", &[])
        .await?
        .iter()
        .map(|r| FailedDigest { id: r.get(0), channel: r.get(1), attempts: r.get(2), error: r.get(3) })
        .collect();
    let reports = client
        .query(
            "SELECT id, to_char(month, 'YYYY-MM'), kind, status, detection_count, csv_uri, html_uri, attempts,
                    last_error FROM reports
             ORDER BY month DESC, id DESC LIMIT 12",
            &[],
        )
        .await?
        .iter()
        .map(|r| {
            let csv_uri: Option<String> = r.get(5);
            ReportRow {
                id: r.get(0),
                month: r.get(1),
                kind: r.get::<_, String>(2).replace('_', " "),
                status: r.get(3),
                detections: r.get(4),
                local: csv_uri.as_deref().is_some_and(|u| u.starts_with("file://")),
                csv_uri,
                html_uri: r.get(6),
                attempts: r.get(7),
                error: r.get(8),
            }
        })
        .collect();
    Ok(Dashboard {
        events: Counts { received: row.get(0), pending: row.get(1), processed: row.get(2), failed: row.get(3) },
        seniors_c_suite: row.get(4),
        seniors_vp: row.get(5),
        detections_total: row.get(6),
        detections_week: row.get(7),
        queue_depth: row.get(1),
        oldest_pending,
        chart_width: 720,
        weeks,
        recent,
        digests,
        failed_digests,
        reports,
        endpoints: pathfinder_core::outbound::endpoints::list(client).await?,
    })
}

/// Detections per week for the last 12 weeks (Monday-based, local), as bar geometry for the inline SVG.
async fn weeks(client: &impl GenericClient, tz: chrono_tz::Tz) -> Result<Vec<WeekBar>, tokio_postgres::Error> {
    let rows = client
        .query(
            "SELECT date_trunc('week', detected_at AT TIME ZONE $1)::date, count(*) FROM detections
             WHERE detected_at > now() - interval '12 weeks' GROUP BY 1",
            &[&tz.name()],
        )
        .await?;
    let counts: std::collections::HashMap<chrono::NaiveDate, i64> = rows.iter().map(|r| (r.get(0), r.get(1))).collect();
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
