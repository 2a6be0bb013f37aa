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

/// Walks user_state in user_id order; calls `on_change` for each change; applies them when `apply`.
pub async fn run(
    client: &mut Client,
    rules: &Classifier,
    apply: bool,
    mut on_change: impl FnMut(&Change),
) -> Result<Report, tokio_postgres::Error> {
    let mut report = Report { applied: apply, rules_version: rules.version().to_string(), ..Report::default() };
    let mut after = String::new();
    loop {
        let tx = client.transaction().await?;
        let members: Vec<String> = tx
            .query("SELECT user_id FROM user_state WHERE user_id > $1 ORDER BY user_id LIMIT $2", &[&after, &BATCH])
            .await?
            .iter()
            .map(|r| r.get(0))
            .collect();
        let Some(last) = members.last().cloned() else { break };
        if apply {
            tx.execute(crate::batch::LOCK_MEMBERS, &[&members]).await?;
        }
        let rows = tx
            .query(
                "SELECT user_id, title, seniority, rule FROM user_state WHERE user_id = ANY($1) ORDER BY user_id FOR UPDATE",
                &[&members],
            )
            .await?;
        for row in rows {
            report.examined += 1;
            let (user_id, title, seniority, rule): (String, String, String, String) =
                (row.get(0), row.get(1), row.get(2), row.get(3));
            let from = Level::parse(&seniority).unwrap_or(Level::Vp);
            let result = rules.classify(&title);
            let change = match (result.seniority, result.rule) {
                (Some(level), Some(new_rule)) if level == from && new_rule == rule => {
                    report.unchanged += 1;
                    if apply {
                        tx.execute(
                            "UPDATE user_state SET rules_version = $2 WHERE user_id = $1",
                            &[&user_id, &rules.version()],
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
                             WHERE user_id = $1",
                            &[&user_id, &level.as_str(), &new_rule, &rules.version()],
                        )
                        .await?;
                    }
                    Change {
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
                        tx.execute("DELETE FROM user_state WHERE user_id = $1", &[&user_id]).await?;
                    }
                    Change { user_id, title, from: from.as_str(), to: None, rule: None, action: "remove" }
                }
            };
            on_change(&change);
        }
        if apply {
            tx.commit().await?;
        }
        after = last;
    }
    Ok(report)
}
