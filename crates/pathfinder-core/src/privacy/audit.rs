//! The append-only audit log: what the system did and who asked, chained by hashes.
//!
//! Entries are appended inside the transaction of the act they record (`pf_audit_append`, migration V6), so an
//! entry exists exactly when its act committed. Each row's hash covers its fields and the previous row's hash:
//! [`verify`] recomputes every hash here, in Rust, independently of the database's own function, and reports the
//! first row whose hash, link or sequence number does not hold.

use chrono::{DateTime, Utc};
use futures_util::{TryStreamExt, pin_mut};
use serde::Serialize;
use sha2::{Digest, Sha256};
use tokio_postgres::GenericClient;

/// The `prev_hash` of the first entry.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// One audit entry as operators read it.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(example = json!({"seq": 7, "at": "2026-11-27T22:00:01.5Z", "kind": "digest.delivery", "actor": "digest-sender",
                          "subject": "12", "details": {"channel": "email", "transport": "aa", "status": "sent",
                          "remoteId": "c0ffee"}, "hash": "9f2c..."}))]
pub struct AuditEntry {
    pub seq: i64,
    #[schema(value_type = String, format = DateTime)]
    pub at: DateTime<Utc>,
    /// detection, digest.built, digest.delivery, admin.*, member.erased, retention.purge, roster.import
    pub kind: String,
    /// Who: a service, `cli:<user>`, or the admin token's label.
    pub actor: String,
    pub subject: Option<String>,
    #[schema(value_type = Object)]
    pub details: serde_json::Value,
    /// Chains the entry to the one before (SHA-256, hex).
    pub hash: String,
}

/// Which entries to list: newest first, at most `limit`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditFilter {
    pub since: Option<DateTime<Utc>>,
    /// An exact kind (`detection`) or a family (`digest` matches `digest.built` and `digest.delivery`).
    pub kind: Option<String>,
    pub limit: i64,
}

/// The outcome of [`verify`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ChainCheck {
    pub entries: u64,
    pub intact: bool,
    /// The first entry that does not hold, and why (`hash`, `link` or `sequence`).
    pub first_broken_seq: Option<i64>,
    pub problem: Option<String>,
    /// The hash of the last entry: record it elsewhere to detect a truncated tail later.
    pub head_hash: Option<String>,
}

const APPEND: &str = "SELECT pf_audit_append($1, $2, $3, $4) AS seq";

/// Appends one entry in the caller's transaction (or on its own, autocommitted); returns its sequence number.
pub async fn append<C: GenericClient + Sync>(
    client: &C,
    kind: &str,
    actor: &str,
    subject: Option<&str>,
    details: &serde_json::Value,
) -> Result<i64, tokio_postgres::Error> {
    client.query_one(APPEND, &[&kind, &actor, &subject, details]).await?.try_get("seq")
}

const LIST: &str = "
SELECT seq, at, kind, actor, subject, details, hash FROM audit_log
WHERE ($1::timestamptz IS NULL OR at >= $1)
  AND ($2::text IS NULL OR kind = $2 OR kind LIKE $2 || '.%')
ORDER BY seq DESC LIMIT $3";

pub async fn list<C: GenericClient + Sync>(
    client: &C,
    filter: &AuditFilter,
) -> Result<Vec<AuditEntry>, tokio_postgres::Error> {
    let rows = client.query(LIST, &[&filter.since, &filter.kind, &filter.limit]).await?;
    rows.iter()
        .map(|r| {
            Ok(AuditEntry {
                seq: r.try_get("seq")?,
                at: r.try_get("at")?,
                kind: r.try_get("kind")?,
                actor: r.try_get("actor")?,
                subject: r.try_get("subject")?,
                details: r.try_get("details")?,
                hash: r.try_get("hash")?,
            })
        })
        .collect()
}

/// Every row, oldest first, with the time and details in the exact text the hash covers.
const CHAIN: &str = "
SELECT seq, to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"') AS at, kind, actor, subject,
       details::text AS details, prev_hash, hash
FROM audit_log ORDER BY seq";

/// Walks the whole chain (streamed, so any length fits in memory).
pub async fn verify<C: GenericClient + Sync>(client: &C) -> Result<ChainCheck, tokio_postgres::Error> {
    let rows = client.query_raw(CHAIN, std::iter::empty::<i64>()).await?;
    pin_mut!(rows);
    let mut check = ChainCheck { entries: 0, intact: true, first_broken_seq: None, problem: None, head_hash: None };
    let mut expected_prev = GENESIS.to_owned();
    let mut expected_seq = 1_i64;
    while let Some(row) = rows.try_next().await? {
        let seq: i64 = row.try_get("seq")?;
        let prev_hash: String = row.try_get("prev_hash")?;
        let hash: String = row.try_get("hash")?;
        let fields = RowFields {
            prev_hash: &prev_hash,
            seq,
            at: row.try_get("at")?,
            kind: row.try_get("kind")?,
            actor: row.try_get("actor")?,
            subject: row.try_get("subject")?,
            details: row.try_get("details")?,
        };
        check.entries += 1;
        let problem = if seq != expected_seq {
            Some("sequence")
        } else if prev_hash != expected_prev {
            Some("link")
        } else if fields.hash() != hash {
            Some("hash")
        } else {
            None
        };
        if let (Some(problem), true) = (problem, check.intact) {
            check.intact = false;
            check.first_broken_seq = Some(seq);
            check.problem = Some(problem.to_owned());
        }
        expected_seq = seq + 1;
        expected_prev = hash.clone();
        check.head_hash = Some(hash);
    }
    Ok(check)
}

/// The fields a row's hash covers, as text (the same text as `pf_audit_row_hash` in SQL).
struct RowFields<'a> {
    prev_hash: &'a str,
    seq: i64,
    at: &'a str,
    kind: &'a str,
    actor: &'a str,
    subject: Option<&'a str>,
    details: &'a str,
}

impl RowFields<'_> {
    fn hash(&self) -> String {
        const UNIT: char = '\u{1f}';
        let seq = self.seq.to_string();
        let parts =
            [self.prev_hash, &seq, self.at, self.kind, self.actor, self.subject.unwrap_or("\u{1e}"), self.details];
        let mut text = String::with_capacity(parts.iter().map(|p| p.len() + 1).sum());
        for (i, part) in parts.iter().enumerate() {
            if i > 0 {
                text.push(UNIT);
            }
            text.push_str(part);
        }
        hex::encode(Sha256::digest(text.as_bytes()))
    }
}
