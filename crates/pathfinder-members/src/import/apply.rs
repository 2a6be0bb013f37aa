//! The writing half of an import: each batch of classified members in its own transaction, holding the
//! classifier's per-member lock of every member it may write (the file's seniors, and the source's stored members,
//! read once when the import starts), so an import is safe while classifiers run. Members neither senior in the
//! file nor stored are not locked: nothing is written for them. A batch is idempotent (a member equal to its
//! stored state changes nothing, a stored state newer than `as_of` is kept), so a crash between batches loses
//! nothing and a rerun of the same command writes nothing twice.
//!
//! Batches commit without waiting for the WAL flush (`synchronous_commit = off`): a database crash may undo the
//! last batches of an import that has not finished, which a rerun writes again. The audit entry that ends an import
//! commits synchronously, and a flush covers every earlier commit, so an import reported done is durable.
//!
//! Statements are prepared once and sent pipelined: a batch of only new members takes three round trips (begin; lock
//! and insert; commit), one with stored members four.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};
use tokio_postgres::error::SqlState;
use tokio_postgres::types::ToSql;
use tokio_postgres::{Client, Statement};

use super::Summary;
use super::batches::Member;

type Param<'a> = &'a (dyn ToSql + Sync);

/// A prepared statement's generic plan is fixed when the table is small (a fresh import starts with none of the
/// source's members): a sequential scan, which the same statement keeps as the table grows, testing every row
/// against thousands of ids (seconds a batch). Each execution is planned for the table as it is instead, with
/// fresh statistics: stale ones (a table filled since its last analyze) made a rerun scan every stored member of
/// the source for each batch (86 ms a batch instead of 9). Without the right to analyze, PostgreSQL only warns.
const PLANNING: &str = "SET plan_cache_mode = force_custom_plan; ANALYZE user_state";

const ASYNC_COMMIT: &str = "SET LOCAL synchronous_commit = off";

/// The source's stored members, read once when the import starts.
const KNOWN: &str = "SELECT user_id FROM user_state WHERE source = $1";

const STORED: &str = "
SELECT user_id, title, seniority, rule, coalesce(username, '') AS username, updated_at FROM user_state
WHERE source = $1 AND user_id = ANY($2) FOR UPDATE";

macro_rules! insert_seniors {
    ($on_conflict:literal) => {
        concat!(
            "INSERT INTO user_state (source, user_id, username, title, seniority, rule, rules_version, last_event_id,
                                     senior_since, updated_at)
             SELECT $1, u, n, t, s, r, $7, 0, $8, $8
             FROM unnest($2::text[], $3::text[], $4::text[], $5::text[], $6::text[]) AS m(u, n, t, s, r) ",
            $on_conflict
        )
    };
}

/// Seniors not stored when the import began: a plain insert, a third cheaper than one with `ON CONFLICT`.
const INSERT_NEW: &str = insert_seniors!("");

/// The same when [`INSERT_NEW`] met a member stored since the import began (by a webhook, so newer than the file,
/// and kept): the batch is written again with this.
const INSERT_NEW_UNLESS_STORED: &str = insert_seniors!("ON CONFLICT (source, user_id) DO NOTHING");

/// Changed seniors; a changed member keeps `senior_since` and `last_event_id`.
const UPSERT: &str = insert_seniors!(
    "ON CONFLICT (source, user_id) DO UPDATE SET
         username = coalesce(EXCLUDED.username, user_state.username), title = EXCLUDED.title,
         seniority = EXCLUDED.seniority, rule = EXCLUDED.rule, rules_version = EXCLUDED.rules_version,
         updated_at = EXCLUDED.updated_at"
);

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
    /// The source's members stored when the import began, and those it has written since.
    known: HashSet<String>,
    lock: Statement,
    stored: Statement,
    insert_new: Statement,
    insert_new_unless_stored: Statement,
    upsert: Statement,
    remove: Statement,
}

impl Writer {
    /// Prepares the statements on `client` (a connection of the import's own: its plan cache mode is set) and reads
    /// which members the source has stored. With `dry_run` every batch is rolled back.
    pub async fn prepare(
        client: &Client,
        source: &'static str,
        rules_version: &str,
        as_of: DateTime<Utc>,
        dry_run: bool,
    ) -> Result<Self, tokio_postgres::Error> {
        client.batch_execute(PLANNING).await?;
        let known_params: [Param; 1] = [&source];
        let (known, lock, stored, insert_new, insert_new_unless_stored, upsert, remove) = tokio::try_join!(
            client.query(KNOWN, &known_params),
            client.prepare(crate::batch::LOCK_MEMBERS),
            client.prepare(STORED),
            client.prepare(INSERT_NEW),
            client.prepare(INSERT_NEW_UNLESS_STORED),
            client.prepare(UPSERT),
            client.prepare(REMOVE),
        )?;
        Ok(Self {
            source,
            rules_version: rules_version.to_string(),
            as_of,
            dry_run,
            known: known.iter().map(|r| r.try_get("user_id")).collect::<Result<_, _>>()?,
            lock,
            stored,
            insert_new,
            insert_new_unless_stored,
            upsert,
            remove,
        })
    }

    /// Applies one batch of distinct members; counts into `summary`. A member the source had not stored when the
    /// import began, and whom the file shows not senior, needs nothing; a new senior is inserted unless a webhook
    /// stored it since (then that newer state is kept); the others are compared with their stored state.
    pub async fn apply(
        &mut self,
        client: &mut Client,
        members: &[Member],
        summary: &mut Summary,
    ) -> Result<(), tokio_postgres::Error> {
        let mut counted = Summary::default();
        let written = match self.apply_once(client, members, &mut counted, false).await {
            Err(error) if error.code() == Some(&SqlState::UNIQUE_VIOLATION) => {
                counted = Summary::default();
                self.apply_once(client, members, &mut counted, true).await
            }
            other => other,
        }?;
        summary.add(&counted);
        self.known.extend(written);
        Ok(())
    }

    /// One attempt at a batch; the members it wrote. `unless_stored`: new seniors may have been stored meanwhile.
    async fn apply_once(
        &self,
        client: &mut Client,
        members: &[Member],
        summary: &mut Summary,
        unless_stored: bool,
    ) -> Result<Vec<String>, tokio_postgres::Error> {
        let source = self.source;
        let seniors = members.iter().filter(|m| m.senior.is_some()).count() as u64;
        summary.seniors += seniors;
        summary.not_senior += members.len() as u64 - seniors;
        let (known, new): (Vec<&Member>, Vec<&Member>) = members.iter().partition(|m| self.known.contains(&m.user_id));
        let new: Vec<&Member> = new.into_iter().filter(|m| m.senior.is_some()).collect();
        let known_ids: Vec<&str> = known.iter().map(|m| m.user_id.as_str()).collect();
        let mut locked: Vec<&str> = new.iter().map(|m| m.user_id.as_str()).collect();
        locked.extend(&known_ids);
        let sources = vec![source; locked.len()];
        let new_rows = Rows::of(&new);

        let tx = client.transaction().await?;
        let lock_params: [Param; 2] = [&sources, &locked];
        let stored_params: [Param; 2] = [&source, &known_ids];
        let insert_params = new_rows.params(&source, &self.rules_version, &self.as_of);
        let stored = async {
            if known_ids.is_empty() {
                return Ok(Vec::new());
            }
            tx.query(&self.stored, &stored_params).await
        };
        let inserted = async {
            if new.is_empty() {
                return Ok(0);
            }
            let statement = if unless_stored { &self.insert_new_unless_stored } else { &self.insert_new };
            tx.execute(statement, &insert_params).await
        };
        let ((), _, stored, inserted) =
            tokio::try_join!(tx.batch_execute(ASYNC_COMMIT), tx.execute(&self.lock, &lock_params), stored, inserted)?;
        summary.added += inserted;
        summary.kept_newer += new.len() as u64 - inserted;
        let stored: HashMap<String, Stored> = stored
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

        let mut upsert: Vec<&Member> = Vec::new();
        let mut remove: Vec<&str> = Vec::new();
        for member in known {
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
        let upsert_rows = Rows::of(&upsert);
        let upsert_params = upsert_rows.params(&source, &self.rules_version, &self.as_of);
        let upserted = async {
            if upsert.is_empty() {
                return Ok(0);
            }
            tx.execute(&self.upsert, &upsert_params).await
        };
        let removed = async {
            if remove.is_empty() {
                return Ok(0);
            }
            tx.execute(&self.remove, &[&source, &remove]).await
        };
        tokio::try_join!(upserted, removed)?;
        if self.dry_run {
            tx.rollback().await?;
            return Ok(Vec::new());
        }
        tx.commit().await?;
        Ok(new.iter().chain(&upsert).map(|m| m.user_id.clone()).collect())
    }
}

/// Seniors as the array parameters of [`INSERT_NEW`] and [`UPSERT`].
struct Rows<'a> {
    users: Vec<&'a str>,
    names: Vec<Option<&'a str>>,
    titles: Vec<&'a str>,
    levels: Vec<&'a str>,
    rules: Vec<&'a str>,
}

impl<'a> Rows<'a> {
    fn of(seniors: &[&'a Member]) -> Self {
        let mut rows = Self { users: vec![], names: vec![], titles: vec![], levels: vec![], rules: vec![] };
        for member in seniors {
            if let Some((level, rule)) = &member.senior {
                rows.users.push(&member.user_id);
                rows.names.push(member.username.as_deref());
                rows.titles.push(&member.title);
                rows.levels.push(level.as_str());
                rows.rules.push(rule);
            }
        }
        rows
    }

    fn params<'p>(&'p self, source: &'p &str, version: &'p String, as_of: &'p DateTime<Utc>) -> [Param<'p>; 8] {
        [source, &self.users, &self.names, &self.titles, &self.levels, &self.rules, version, as_of]
    }
}

#[cfg(test)]
mod tests {
    use pathfinder_classify::Level;
    use pathfinder_core::testing::TestDatabase;

    use super::*;

    fn senior(id: &str) -> Member {
        let senior = Some((Level::CSuite, "ceo".to_string()));
        Member { user_id: id.into(), username: None, title: "Chief Executive Officer".into(), senior }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_senior_stored_after_the_import_began_keeps_that_state() {
        let db = TestDatabase::migrated().await;
        let mut client = db.connect().await;
        let as_of = "2026-11-01T00:00:00Z".parse().expect("as of");
        let mut writer = Writer::prepare(&client, "community", "test", as_of, false).await.expect("prepare");
        // A webhook stores w-1 once the import has read which members are stored.
        client
            .batch_execute(
                "INSERT INTO user_state (source, user_id, title, seniority, rule, rules_version, last_event_id,
                                         senior_since, updated_at)
                 VALUES ('community', 'w-1', 'VP of Sales', 'vp', 'vp', 'test', 1, now(), now())",
            )
            .await
            .expect("webhook state");
        let mut summary = Summary::default();
        let batch = [senior("n-1"), senior("w-1")];
        writer.apply(&mut client, &batch, &mut summary).await.expect("apply");
        assert_eq!((summary.added, summary.kept_newer, summary.seniors), (1, 1, 2), "{summary:?}");
        let kept: String = client
            .query_one("SELECT title FROM user_state WHERE user_id = 'w-1'", &[])
            .await
            .expect("w-1")
            .get("title");
        assert_eq!(kept, "VP of Sales");

        // Both are known now: the same batch again changes nothing.
        let mut again = Summary::default();
        writer.apply(&mut client, &batch, &mut again).await.expect("apply again");
        assert_eq!((again.added, again.unchanged, again.kept_newer), (0, 1, 1), "{again:?}");
    }
}
