//! `pathfinder import`: a member roster as the **baseline**. Every current senior in the file lands in
//! `user_state` (title, level, rule, rules version) without a detection, so nothing floods the next digest and a
//! later promotion is reported as one; members who are not senior are not stored.
//!
//! The file is streamed ([`roster`]) and classified in batches on a blocking thread ([`batches`]) while the
//! previous batch is written ([`apply`]), each batch its own transaction under the classifier's per-member locks. Idempotent: a member already stored keeps the newer of its stored state and the
//! file, the file dating from `as_of` (default: the file's modification time); a stored state updated after that
//! (a webhook processed since the export) is kept. A rerun after a crash writes nothing twice. `strict` reads the
//! whole file first and writes nothing if any row is bad. The import is audited (`roster.import`: who, counts).

pub mod apply;
pub mod batches;
pub mod roster;

use std::io::Read;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use pathfinder_classify::Classifier;
use pathfinder_core::member::Source;
use serde::Serialize;
use tokio_postgres::Client;

pub use roster::{BadRow, Format, Roster, RosterError, RosterRow, RowView};

/// Rows written per transaction.
pub const BATCH_ROWS: usize = 5_000;
/// Bad rows listed in the summary (all are counted).
pub const LISTED_BAD_ROWS: usize = 100;

/// What to import and how.
#[derive(Debug, Clone)]
pub struct Options {
    pub source: Source,
    pub format: Format,
    /// The Discourse user field holding the job title (`--format discourse-export`).
    pub title_field: String,
    pub as_of: DateTime<Utc>,
    pub dry_run: bool,
    pub strict: bool,
}

/// What an import did (counts only, never a member's data).
#[derive(Debug, Default, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Summary {
    pub rows: u64,
    pub bad_rows: u64,
    pub seniors: u64,
    pub not_senior: u64,
    pub added: u64,
    pub updated: u64,
    pub unchanged: u64,
    /// Members whose stored state is newer than the file (`asOf`): kept as stored.
    pub kept_newer: u64,
    /// Members stored as senior whom the (newer) file shows not senior: removed.
    pub removed: u64,
    pub dry_run: bool,
    /// True when `strict` refused the file (nothing written).
    pub refused: bool,
    pub audit_seq: Option<i64>,
    /// The first bad rows (line and reason).
    pub bad: Vec<BadRow>,
}

impl Summary {
    /// Adds the write counts of one batch.
    fn add(&mut self, batch: &Summary) {
        self.seniors += batch.seniors;
        self.not_senior += batch.not_senior;
        self.added += batch.added;
        self.updated += batch.updated;
        self.unchanged += batch.unchanged;
        self.kept_newer += batch.kept_newer;
        self.removed += batch.removed;
    }

    fn bad_row(&mut self, bad: BadRow) {
        self.bad_rows += 1;
        if self.bad.len() < LISTED_BAD_ROWS {
            self.bad.push(bad);
        }
    }
}

const AUDIT: &str = "SELECT pf_audit_append('roster.import', $1, NULL, $2) AS seq";

/// Imports the roster `open()` yields (called twice with `strict`: once to check, once to write). `on_rows` sees
/// the running row count after each batch. The file is read and classified on a blocking thread while the
/// previous batch is written ([`batches`], [`apply`]).
pub async fn run<R: Read + Send + 'static>(
    client: &mut Client,
    mut open: impl FnMut() -> std::io::Result<R>,
    options: &Options,
    rules: &Arc<Classifier>,
    actor: &str,
    mut on_rows: impl FnMut(u64),
) -> anyhow::Result<Summary> {
    let mut summary = Summary { dry_run: options.dry_run, ..Summary::default() };
    if options.strict {
        let (input, format, title_field) = (open()?, options.format, options.title_field.clone());
        let bad = tokio::task::spawn_blocking(move || check(input, format, &title_field)).await??;
        if let Some(refused) = bad {
            return Ok(Summary { dry_run: options.dry_run, refused: true, ..refused });
        }
    }
    let source = options.source.as_str();
    let mut writer = apply::Writer::prepare(client, source, rules.version(), options.as_of, options.dry_run).await?;
    let (mut received, reader) =
        batches::spawn(open()?, options.format, options.title_field.clone(), Arc::clone(rules));
    while let Some(batch) = received.recv().await {
        for bad in batch.bad {
            summary.bad_row(bad);
        }
        writer.apply(client, &batch.members, &mut summary).await?;
        summary.rows = batch.rows_read;
        on_rows(summary.rows);
    }
    reader.await??;
    if !options.dry_run {
        let mut details = serde_json::to_value(&summary)?;
        if let Some(fields) = details.as_object_mut() {
            for private in ["bad", "auditSeq", "dryRun", "refused"] {
                fields.remove(private);
            }
            fields.insert("source".into(), source.into());
            fields.insert("rulesVersion".into(), rules.version().into());
            fields.insert("asOf".into(), options.as_of.to_rfc3339().into());
        }
        summary.audit_seq = Some(client.query_one(AUDIT, &[&actor, &details]).await?.try_get("seq")?);
    }
    Ok(summary)
}

/// `--strict`'s first pass: the rows and bad rows of the file when any row is bad, else `None`.
fn check(input: impl Read, format: Format, title_field: &str) -> Result<Option<Summary>, RosterError> {
    let mut summary = Summary::default();
    for item in Roster::open(input, format, title_field)? {
        summary.rows += 1;
        if let Err(bad) = item {
            summary.bad_row(bad);
        }
    }
    Ok((summary.bad_rows > 0).then_some(summary))
}
