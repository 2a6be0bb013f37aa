//! The writing half of an import: each batch of classified members in its own transaction, holding the
//! classifier's per-member lock of every member it may write (the file's seniors, and the members stored for the
//! source whom the file shows not senior), so an import is safe while classifiers run. Members neither senior in
//! the file nor stored are not locked: nothing is written for them. A batch is idempotent (a member equal to its
//! stored state changes nothing, a stored state newer than `as_of` is kept), so a crash between batches loses
//! nothing and a rerun of the same command writes nothing twice.
//!
//! Batches commit without waiting for the WAL flush (`synchronous_commit = off`): a database crash may undo the
//! last batches of an import that has not finished, which a rerun writes again. The audit entry that ends an import
//! commits synchronously, and a flush covers every earlier commit, so an import reported done is durable.
//!
//! Statements are prepared once and sent pipelined, two at a time, so a batch takes five round trips.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use tokio_postgres::types::ToSql;
use tokio_postgres::{Client, Statement};

use super::Summary;
use super::batches::Member;

type Param<'a> = &'a (dyn ToSql + Sync);

const ASYNC_COMMIT: &str = "SET LOCAL synchronous_commit = off";

/// Which of the given members (the file's non-seniors) are stored: they may need to be removed.
const FIND_STORED: &str = "SELECT user_id FROM user_state WHERE source = $1 AND user_id = ANY($2)";

const STORED: &str = "
SELECT user_id, title, seniority, rule, coalesce(username, ''), updated_at FROM user_state
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

/// Writes batches for one source, one rules version and one `as_of`.
pub struct Writer {
    source: &'static str,
    rules_version: String,
    as_of: DateTime<Utc>,
    dry_run: bool,
    find_stored: Statement,
    lock: Statement,
    stored: Statement,
    upsert: Statement,
    remove: Statement,
}

impl Writer {
    /// Prepares the statements on `client`. With `dry_run` every batch is rolled back.
    pub async fn prepare(
        client: &Client,
        source: &'static str,
        rules_version: &str,
        as_of: DateTime<Utc>,
        dry_run: bool,
    ) -> Result<Self, tokio_postgres::Error> {
        let (find_stored, lock, stored, upsert, remove) = tokio::try_join!(
            client.prepare(FIND_STORED),
            client.prepare(crate::batch::LOCK_MEMBERS),
            client.prepare(STORED),
            client.prepare(UPSERT),
            client.prepare(REMOVE),
        )?;
        Ok(Self {
            source,
            rules_version: rules_version.to_string(),
            as_of,
            dry_run,
            find_stored,
            lock,
            stored,
            upsert,
            remove,
        })
    }

    /// Applies one batch of distinct members; counts into `summary`.
    pub async fn apply(
        &self,
        client: &mut Client,
        members: &[Member],
        summary: &mut Summary,
    ) -> Result<(), tokio_postgres::Error> {
        let source = self.source;
        let (seniors, others): (Vec<&Member>, Vec<&Member>) = members.iter().partition(|m| m.senior.is_some());
        summary.seniors += seniors.len() as u64;
        summary.not_senior += others.len() as u64;
        let other_ids: Vec<&str> = others.iter().map(|m| m.user_id.as_str()).collect();

        let tx = client.transaction().await?;
        let find_params: [Param; 2] = [&source, &other_ids];
        let ((), found) = tokio::try_join!(tx.batch_execute(ASYNC_COMMIT), tx.query(&self.find_stored, &find_params))?;
        let found: Vec<String> = found.iter().map(|r| r.get(0)).collect();
        let mut locked: Vec<&str> = seniors.iter().map(|m| m.user_id.as_str()).collect();
        locked.extend(found.iter().map(String::as_str));
        let sources = vec![source; locked.len()];
        let (lock_params, stored_params): ([Param; 2], [Param; 2]) = ([&sources, &locked], [&source, &locked]);
        let (_, stored) =
            tokio::try_join!(tx.execute(&self.lock, &lock_params), tx.query(&self.stored, &stored_params))?;
        let stored: HashMap<String, Stored> = stored
            .into_iter()
            .map(|r| {
                let stored = Stored {
                    title: r.get(1),
                    seniority: r.get(2),
                    rule: r.get(3),
                    username: r.get(4),
                    updated_at: r.get(5),
                };
                (r.get(0), stored)
            })
            .collect();

        let mut upsert: Vec<&Member> = Vec::with_capacity(seniors.len());
        let mut remove: Vec<&str> = Vec::new();
        for member in seniors.into_iter().chain(others.into_iter().filter(|m| stored.contains_key(&m.user_id))) {
            match (stored.get(&member.user_id), &member.senior) {
                (Some(s), _) if s.updated_at > self.as_of => summary.kept_newer += 1,
                (None, None) => {}
                (None, Some(_)) => {
                    summary.added += 1;
                    upsert.push(member);
                }
                (Some(s), Some((level, rule)))
                    if s.title == member.title
                        && s.seniority == level.as_str()
                        && s.rule == *rule
                        && member.username.as_deref().is_none_or(|u| u == s.username) =>
                {
                    summary.unchanged += 1;
                }
                (Some(_), Some(_)) => {
                    summary.updated += 1;
                    upsert.push(member);
                }
                (Some(_), None) => {
                    summary.removed += 1;
                    remove.push(&member.user_id);
                }
            }
        }
        let users: Vec<&str> = upsert.iter().map(|m| m.user_id.as_str()).collect();
        let names: Vec<Option<&str>> = upsert.iter().map(|m| m.username.as_deref()).collect();
        let titles: Vec<&str> = upsert.iter().map(|m| m.title.as_str()).collect();
        let (levels, rules): (Vec<&str>, Vec<&str>) = upsert
            .iter()
            .filter_map(|m| m.senior.as_ref())
            .map(|(level, rule)| (level.as_str(), rule.as_str()))
            .unzip();
        let upserted = async {
            if users.is_empty() {
                return Ok(0);
            }
            let params: [Param; 8] =
                [&source, &users, &names, &titles, &levels, &rules, &self.rules_version, &self.as_of];
            tx.execute(&self.upsert, &params).await
        };
        let removed = async {
            if remove.is_empty() {
                return Ok(0);
            }
            tx.execute(&self.remove, &[&source, &remove]).await
        };
        tokio::try_join!(upserted, removed)?;
        if self.dry_run { tx.rollback().await } else { tx.commit().await }
    }
}
