//! The roster report (`pathfinder report roster`): every current senior in `user_state`, as a CSV (the month-end
//! report's rules: RFC 4180, CRLF, formula-like cells defused) and an HTML page (template
//! `config/templates/roster.html`), written locally as `roster-YYYY-MM-DD.{csv,html}` with atomic replacement.

use std::path::Path;

use anyhow::Context as _;
use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use serde::Serialize;
use tokio_postgres::GenericClient;

use crate::csv_report::defuse;

pub const TEMPLATE: &str = "roster.html";

pub const HEADER: [&str; 7] = ["source", "user_id", "username", "title", "seniority", "since", "rule"];

#[derive(Debug, Clone, Serialize)]
pub struct RosterRow {
    pub source: String,
    pub user_id: String,
    pub username: String,
    pub title: String,
    pub seniority: String,
    /// When the member became senior, local time.
    pub since_local: String,
    pub rule: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct RosterData {
    /// The local day the roster was taken (`YYYY-MM-DD`), the files' stem.
    pub date: String,
    pub timezone: String,
    pub generated_local: String,
    pub total: usize,
    pub c_suite_count: usize,
    pub vp_count: usize,
    pub community_count: usize,
    pub discourse_count: usize,
    pub rows: Vec<RosterRow>,
}

const SENIORS: &str = "
SELECT source, user_id, coalesce(username, '') AS username, title, seniority, senior_since, rule FROM user_state
ORDER BY CASE seniority WHEN 'c_suite' THEN 0 ELSE 1 END, senior_since, source, user_id";

/// The current seniors, C-suite first, then by how long they have been senior.
pub async fn load(
    client: &impl GenericClient,
    tz: Tz,
    now: DateTime<Utc>,
) -> Result<RosterData, tokio_postgres::Error> {
    let rows: Vec<RosterRow> = client
        .query(SENIORS, &[])
        .await?
        .iter()
        .map(|row| {
            Ok(RosterRow {
                source: row.try_get("source")?,
                user_id: row.try_get("user_id")?,
                username: row.try_get("username")?,
                title: row.try_get("title")?,
                seniority: row.try_get("seniority")?,
                since_local: row
                    .try_get::<_, DateTime<Utc>>("senior_since")?
                    .with_timezone(&tz)
                    .format("%Y-%m-%d %H:%M:%S %Z")
                    .to_string(),
                rule: row.try_get("rule")?,
            })
        })
        .collect::<Result<_, tokio_postgres::Error>>()?;
    let count = |f: &dyn Fn(&RosterRow) -> bool| rows.iter().filter(|r| f(r)).count();
    let local = now.with_timezone(&tz);
    Ok(RosterData {
        date: local.format("%Y-%m-%d").to_string(),
        timezone: tz.name().to_string(),
        generated_local: local.format("%Y-%m-%d %H:%M %Z").to_string(),
        total: rows.len(),
        c_suite_count: count(&|r| r.seniority == "c_suite"),
        vp_count: count(&|r| r.seniority == "vp"),
        community_count: count(&|r| r.source == "community"),
        discourse_count: count(&|r| r.source == "discourse"),
        rows,
    })
}

pub fn render_csv(data: &RosterData) -> anyhow::Result<Vec<u8>> {
    let mut writer = csv::WriterBuilder::new().terminator(csv::Terminator::CRLF).from_writer(Vec::new());
    writer.write_record(HEADER)?;
    for row in &data.rows {
        writer.write_record(
            [&row.source, &row.user_id, &row.username, &row.title, &row.seniority, &row.since_local, &row.rule]
                .map(|cell| defuse(cell)),
        )?;
    }
    writer.into_inner().map_err(|e| anyhow::anyhow!("csv: {e}"))
}

pub fn render_html(templates_dir: &Path, data: &RosterData) -> anyhow::Result<String> {
    let tera = crate::html_report::load_page(templates_dir, TEMPLATE)?;
    let mut context = tera::Context::new();
    context.insert("roster", data);
    tera.render(TEMPLATE, &context).context("rendering the roster")
}

/// Written roster files (absolute `file://` URIs).
#[derive(Debug, Clone)]
pub struct Written {
    pub csv_uri: String,
    pub html_uri: String,
}

/// Renders both files and writes them into `dir`, each replaced whole.
pub fn write(dir: &Path, templates_dir: &Path, data: &RosterData) -> anyhow::Result<Written> {
    let csv = render_csv(data)?;
    let html = render_html(templates_dir, data)?;
    let csv_uri = crate::storage::write_local(dir, &format!("roster-{}.csv", data.date), &csv)?;
    let html_uri = crate::storage::write_local(dir, &format!("roster-{}.html", data.date), html.as_bytes())?;
    Ok(Written { csv_uri, html_uri })
}
