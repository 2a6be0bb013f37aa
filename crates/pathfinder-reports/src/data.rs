//! The detections of a period and the figures a report shows.

use chrono::{DateTime, Datelike, Duration, NaiveDate, Utc};
use chrono_tz::Tz;
use serde::Serialize;
use tokio_postgres::GenericClient;

#[derive(Debug, Clone, Serialize)]
pub struct Row {
    pub detected_local: String,
    pub user_id: String,
    pub username: String,
    pub title: String,
    pub seniority: String,
    pub kind: String,
    pub previous_seniority: String,
    pub rule: String,
    /// The member's platform (community or discourse): the same id on two sources is two members.
    pub source: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct Week {
    pub label: String,
    pub count: usize,
}

#[derive(Debug, Clone, Serialize)]
pub struct ReportData {
    pub period_label: String,
    pub month_key: String,
    pub timezone: String,
    pub generated_local: String,
    pub month_to_date: bool,
    pub total: usize,
    pub new_count: usize,
    pub promotion_count: usize,
    pub c_suite_count: usize,
    pub vp_count: usize,
    pub weeks: Vec<Week>,
    pub rows: Vec<Row>,
}

const DETECTIONS: &str = "
SELECT detected_at, user_id, coalesce(username, '') AS username, title, seniority, kind,
       coalesce(previous_seniority, '') AS previous_seniority, rule, source
FROM detections WHERE detected_at >= $1 AND detected_at < $2 ORDER BY detected_at, id";

/// The period a report covers.
#[derive(Debug, Clone)]
pub struct Period {
    pub tz: Tz,
    /// Local first day (weeks are counted from the Monday on or before it).
    pub first_day: NaiveDate,
    /// `[start, end)` in UTC.
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    pub label: String,
    pub month_key: String,
    pub month_to_date: bool,
}

/// Loads the detections of the period and counts them; weeks start on Monday (local).
pub async fn load(client: &impl GenericClient, period: Period) -> Result<ReportData, tokio_postgres::Error> {
    let Period { tz, first_day, start, end, label: period_label, month_key, month_to_date } = period;
    let rows = client.query(DETECTIONS, &[&start, &end]).await?;
    let mut weeks: Vec<(NaiveDate, usize)> = Vec::new();
    let last_day = (end - Duration::seconds(1)).with_timezone(&tz).date_naive();
    let mut monday = first_day - Duration::days(i64::from(first_day.weekday().num_days_from_monday()));
    while monday <= last_day {
        weeks.push((monday, 0));
        monday += Duration::days(7);
    }
    let mut out = Vec::with_capacity(rows.len());
    for row in &rows {
        let at: DateTime<Utc> = row.try_get("detected_at")?;
        let local = at.with_timezone(&tz);
        let day = local.date_naive();
        if let Some(slot) = weeks.iter_mut().rev().find(|(start, _)| *start <= day) {
            slot.1 += 1;
        }
        out.push(Row {
            detected_local: local.format("%Y-%m-%d %H:%M:%S %Z").to_string(),
            user_id: row.try_get("user_id")?,
            username: row.try_get("username")?,
            title: row.try_get("title")?,
            seniority: row.try_get("seniority")?,
            kind: row.try_get("kind")?,
            previous_seniority: row.try_get("previous_seniority")?,
            rule: row.try_get("rule")?,
            source: row.try_get("source")?,
        });
    }
    let count = |f: &dyn Fn(&Row) -> bool| out.iter().filter(|r| f(r)).count();
    let week_label = |start: NaiveDate| {
        let from = start.max(first_day);
        let to = (start + Duration::days(6)).min(last_day);
        format!("{} – {}", from.format("%b %-d"), to.format("%b %-d"))
    };
    Ok(ReportData {
        period_label,
        month_key,
        timezone: tz.name().to_string(),
        generated_local: Utc::now().with_timezone(&tz).format("%Y-%m-%d %H:%M %Z").to_string(),
        month_to_date,
        total: out.len(),
        new_count: count(&|r| r.kind == "new"),
        promotion_count: count(&|r| r.kind == "promotion"),
        c_suite_count: count(&|r| r.seniority == "c_suite"),
        vp_count: count(&|r| r.seniority == "vp"),
        weeks: weeks.into_iter().map(|(start, count)| Week { label: week_label(start), count }).collect(),
        rows: out,
    })
}
