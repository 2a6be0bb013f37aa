//! `pathfinder reclassify`: re-run the current rules over the stored seniors, for an operator who just edited them.
//!
//! Reports every member whose level or deciding rule changes; with `apply`, writes the changes (level, rule and
//! rules version updated; members no longer senior removed) in batches, each holding the same per-member locks as
//! the classifier, so it is safe while classifiers run. It writes no detection: the member did not change, the
//! rules did. Members who were not senior under the old rules are not stored, so new rules reach them at their
//! next profile edit (or by replaying recent events, see docs/OPERATIONS.md).

use pathfinder_classify::{Classifier, Level};
use serde::Serialize;
use tokio_postgres::Client;

/// Members handled per transaction.
const BATCH: i64 = 500;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Change {
    pub source: String,
    pub user_id: String,
    pub title: String,
    pub from: &'static str,
    pub to: Option<&'static str>,
    pub rule: Option<String>,
    /// `update` (level or rule changes) or `remove` (no longer senior).
    pub action: &'static str,
}

#[derive(Debug, Default, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Report {
    pub examined: u64,
    pub unchanged: u64,
    pub updated: u64,
    pub removed: u64,
    pub applied: bool,
    pub rules_version: String,
}

/// Walks user_state in (source, user_id) order; calls `on_change` for each change; applies them when `apply`.
pub async fn run(
    client: &mut Client,
    rules: &Classifier,
    apply: bool,
    mut on_change: impl FnMut(&Change),
) -> Result<Report, tokio_postgres::Error> {
    let mut report = Report { applied: apply, rules_version: rules.version().to_string(), ..Report::default() };
    let mut after = (String::new(), String::new());
    loop {
        let tx = client.transaction().await?;
        let page = tx
            .query(
                "SELECT source, user_id FROM user_state WHERE (source, user_id) > ($1, $2)
                 ORDER BY source, user_id LIMIT $3",
                &[&after.0, &after.1, &BATCH],
            )
            .await?;
        let sources: Vec<String> = page.iter().map(|r| r.try_get("source")).collect::<Result<_, _>>()?;
        let ids: Vec<String> = page.iter().map(|r| r.try_get("user_id")).collect::<Result<_, _>>()?;
        let (Some(last_source), Some(last_id)) = (sources.last().cloned(), ids.last().cloned()) else { break };
        if apply {
            tx.execute(crate::batch::LOCK_MEMBERS, &[&sources, &ids]).await?;
        }
        let rows = tx
            .query(
                "SELECT source, user_id, title, seniority, rule FROM user_state
                 WHERE (source, user_id) IN (SELECT * FROM unnest($1::text[], $2::text[]))
                 ORDER BY source, user_id FOR UPDATE",
                &[&sources, &ids],
            )
            .await?;
        for row in rows {
            report.examined += 1;
            let (source, user_id, title, seniority, rule): (String, String, String, String, String) = (
                row.try_get("source")?,
                row.try_get("user_id")?,
                row.try_get("title")?,
                row.try_get("seniority")?,
                row.try_get("rule")?,
            );
            let from = Level::parse(&seniority).unwrap_or(Level::Vp);
            let result = rules.classify(&title);
            let change = match (result.seniority, result.rule) {
                (Some(level), Some(new_rule)) if level == from && new_rule == rule => {
                    report.unchanged += 1;
                    if apply {
                        tx.execute(
                            "UPDATE user_state SET rules_version = $2 WHERE user_id = $1 AND source = $3",
                            &[&user_id, &rules.version(), &source],
                        )
                        .await?;
                    }
                    continue;
                }
                (Some(level), Some(new_rule)) => {
                    report.updated += 1;
                    if apply {
                        tx.execute(
                            "UPDATE user_state SET seniority = $2, rule = $3, rules_version = $4, updated_at = now()
                             WHERE user_id = $1 AND source = $5",
                            &[&user_id, &level.as_str(), &new_rule, &rules.version(), &source],
                        )
                        .await?;
                    }
                    Change {
                        source,
                        user_id,
                        title,
                        from: from.as_str(),
                        to: Some(level.as_str()),
                        rule: Some(new_rule.to_string()),
                        action: "update",
                    }
                }
                _ => {
                    report.removed += 1;
                    if apply {
                        tx.execute("DELETE FROM user_state WHERE user_id = $1 AND source = $2", &[&user_id, &source])
                            .await?;
                    }
                    Change { source, user_id, title, from: from.as_str(), to: None, rule: None, action: "remove" }
                }
            };
            on_change(&change);
        }
        if apply {
            tx.commit().await?;
        }
        after = (last_source, last_id);
    }
    Ok(report)
}
