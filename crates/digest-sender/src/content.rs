//! What a digest says: its detections, formatted for people (local times, labels), for the templates.
//!
//! The `*_json` values are for the Teams card: JSON-encoded, and, where a member or the enrichment lookup supplied
//! the text, Markdown-escaped and shortened ([`card_text`]), since Adaptive Card TextBlocks render Markdown.

mod card_text;

pub use card_text::card_text;

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use serde::Serialize;
use tokio_postgres::GenericClient;

#[derive(Debug, Clone, Serialize)]
pub struct DigestView {
    pub id: i64,
    pub channel: String,
    pub week: String,
    pub generated: String,
    pub count: usize,
    pub new_count: usize,
    pub promotion_count: usize,
    /// One line for subjects and card summaries.
    pub summary: String,
    pub summary_json: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct DetectionView {
    pub detection_id: i64,
    pub user_id: String,
    /// The member's platform (community or discourse): the same id on two sources is two members.
    pub source: String,
    pub name: String,
    pub title: String,
    pub level: &'static str,
    pub kind: &'static str,
    pub detected: String,
    pub email: Option<String>,
    pub company: Option<String>,
    pub profile_url: Option<String>,
    pub name_json: String,
    pub title_json: String,
    pub details_json: String,
    pub profile_url_json: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct DigestContent {
    pub digest: DigestView,
    pub detections: Vec<DetectionView>,
}

const ITEMS: &str = "
SELECT d.id, d.user_id, d.username, d.title, d.seniority, d.previous_seniority, d.detected_at, d.email, d.company,
       d.profile_url, d.source
FROM digest_items i JOIN detections d ON d.id = i.detection_id
WHERE i.digest_id = $1 ORDER BY i.position";

pub async fn load(
    client: &impl GenericClient,
    id: i64,
    channel: &str,
    run_key: &str,
    tz: Tz,
) -> Result<DigestContent, tokio_postgres::Error> {
    let rows = client.query(ITEMS, &[&id]).await?;
    let detections: Vec<DetectionView> = rows
        .iter()
        .map(|row| {
            let user_id: String = row.try_get("user_id")?;
            let username: Option<String> = row.try_get("username")?;
            let name = username.unwrap_or_else(|| user_id.clone());
            let title: String = row.try_get("title")?;
            let level = if row.try_get::<_, &str>("seniority")? == "c_suite" { "C-suite" } else { "VP" };
            let previous: Option<&str> = row.try_get("previous_seniority")?;
            let kind = if previous.is_some() { "promoted from VP" } else { "new senior executive" };
            let detected_at: DateTime<Utc> = row.try_get("detected_at")?;
            let detected = detected_at.with_timezone(&tz).format("%a %-d %b %Y, %H:%M %Z").to_string();
            let email: Option<String> = row.try_get("email")?;
            let company: Option<String> = row.try_get("company")?;
            let profile_url: Option<String> = row.try_get("profile_url")?;
            let source: String = row.try_get("source")?;
            let mut details = format!("{level} · {kind} · {detected} · {source}");
            for extra in [&company, &email].into_iter().flatten() {
                details.push_str(" · ");
                details.push_str(extra);
            }
            Ok(DetectionView {
                detection_id: row.try_get("id")?,
                user_id,
                source,
                name_json: json(&card_text(&name, card_text::NAME_MAX)),
                title_json: json(&card_text(&title, card_text::TITLE_MAX)),
                details_json: json(&card_text(&details, card_text::DETAILS_MAX)),
                profile_url_json: json(profile_url.as_deref().unwrap_or("")),
                name,
                title,
                level,
                kind,
                detected,
                email,
                company,
                profile_url,
            })
        })
        .collect::<Result<_, tokio_postgres::Error>>()?;
    let promotion_count = detections.iter().filter(|d| d.kind == "promoted from VP").count();
    let count = detections.len();
    let week = format!("week {run_key}");
    let summary = format!(
        "{week}: {count} member{} ({} new, {promotion_count} promoted), digest #{id}",
        if count == 1 { "" } else { "s" },
        count - promotion_count
    );
    Ok(DigestContent {
        digest: DigestView {
            id,
            channel: channel.to_string(),
            week,
            generated: Utc::now().with_timezone(&tz).format("%a %-d %b %Y, %H:%M %Z").to_string(),
            count,
            new_count: count - promotion_count,
            promotion_count,
            summary_json: json(&summary),
            summary,
        },
        detections,
    })
}

fn json(text: &str) -> String {
    serde_json::Value::String(text.to_string()).to_string()
}
