//! Writing one batch of roster rows: each in its own transaction holding the classifier's per-member locks, so an
//! import is safe while classifiers run. A batch is idempotent (a row equal to the stored state changes nothing,
//! a stored state newer than `as_of` is kept), so a crash between batches loses nothing and a rerun of the same
//! command writes nothing twice.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use pathfinder_classify::Classifier;
use tokio_postgres::Client;

use super::{RosterRow, Summary};

const LOCK: &str = crate::batch::LOCK_MEMBERS;

const STORED: &str = "
SELECT user_id, title, seniority, rule, coalesce(username, '') AS username, updated_at FROM user_state
WHERE source = $1 AND user_id = ANY($2) FOR UPDATE";

/// New seniors and changed ones; a changed member keeps `senior_since` and `last_event_id`.
const UPSERT: &str = "
INSERT INTO user_state (source, user_id, username, title, seniority, rule, rules_version, last_event_id, senior_since,
                        updated_at)
SELECT $1, u, n, t, s, r, $7, 0, $8, $8 FROM unnest($2::text[], $3::text[], $4::text[], $5::text[], $6::text[])
    AS m(u, n, t, s, r)
ON CONFLICT (source, user_id) DO UPDATE SET
    username = coalesce(EXCLUDED.username, user_state.username), title = EXCLUDED.title,
    seniority = EXCLUDED.seniority, rule = EXCLUDED.rule, rules_version = EXCLUDED.rules_version,
    updated_at = EXCLUDED.updated_at";

const REMOVE: &str = "DELETE FROM user_state WHERE source = $1 AND user_id = ANY($2)";

struct Stored {
    title: String,
    seniority: String,
    rule: String,
    username: String,
    updated_at: DateTime<Utc>,
}

/// Applies `rows` (one batch) for `source`; counts into `summary`. With `dry_run` the transaction is rolled back.
pub async fn apply_batch(
    client: &mut Client,
    source: &str,
    rows: Vec<RosterRow>,
    rules: &Classifier,
    as_of: DateTime<Utc>,
    dry_run: bool,
    summary: &mut Summary,
) -> Result<(), tokio_postgres::Error> {
    // The last row of a member wins, as it would across batches.
    let mut latest: HashMap<String, RosterRow> = HashMap::with_capacity(rows.len());
    for row in rows {
        latest.insert(row.user_id.clone(), row);
    }
    let mut ids: Vec<&str> = latest.keys().map(String::as_str).collect();
    ids.sort_unstable();
    let sources = vec![source; ids.len()];
    let tx = client.transaction().await?;
    tx.execute(LOCK, &[&sources, &ids]).await?;
    let stored: HashMap<String, Stored> = tx
        .query(STORED, &[&source, &ids])
        .await?
        .into_iter()
        .map(|r| {
            let stored = Stored {
                title: r.try_get("title")?,
                seniority: r.try_get("seniority")?,
                rule: r.try_get("rule")?,
                username: r.try_get("username")?,
                updated_at: r.try_get("updated_at")?,
            };
            Ok((r.try_get("user_id")?, stored))
        })
        .collect::<Result<_, tokio_postgres::Error>>()?;

    let mut upsert: Vec<(&str, Option<&str>, &str, &'static str, String)> = Vec::new();
    let mut remove: Vec<&str> = Vec::new();
    for id in &ids {
        let row = &latest[*id];
        let result = rules.classify(&row.title);
        let senior = result.seniority.zip(result.rule);
        if senior.is_some() {
            summary.seniors += 1;
        } else {
            summary.not_senior += 1;
        }
        match (stored.get(*id), senior) {
            (Some(s), _) if s.updated_at > as_of => summary.kept_newer += 1,
            (None, None) => {}
            (None, Some((level, rule))) => {
                summary.added += 1;
                upsert.push((id, row.username.as_deref(), &row.title, level.as_str(), rule.to_string()));
            }
            (Some(s), Some((level, rule)))
                if s.title == row.title
                    && s.seniority == level.as_str()
                    && s.rule == rule
                    && row.username.as_deref().is_none_or(|u| u == s.username) =>
            {
                summary.unchanged += 1;
            }
            (Some(_), Some((level, rule))) => {
                summary.updated += 1;
                upsert.push((id, row.username.as_deref(), &row.title, level.as_str(), rule.to_string()));
            }
            (Some(_), None) => {
                summary.removed += 1;
                remove.push(id);
            }
        }
    }
    if !upsert.is_empty() {
        let users: Vec<&str> = upsert.iter().map(|u| u.0).collect();
        let names: Vec<Option<&str>> = upsert.iter().map(|u| u.1).collect();
        let titles: Vec<&str> = upsert.iter().map(|u| u.2).collect();
        let levels: Vec<&str> = upsert.iter().map(|u| u.3).collect();
        let matched: Vec<&str> = upsert.iter().map(|u| u.4.as_str()).collect();
        tx.execute(UPSERT, &[&source, &users, &names, &titles, &levels, &matched, &rules.version(), &as_of]).await?;
    }
    if !remove.is_empty() {
        tx.execute(REMOVE, &[&source, &remove]).await?;
    }
    if dry_run { tx.rollback().await } else { tx.commit().await }
}
