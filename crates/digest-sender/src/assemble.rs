//! Building digests: every detection not yet in a digest of a channel, oldest first, in digests of at most 10.
//!
//! Builders are serialised by a transaction-scoped advisory lock, and `digest_items` allows a detection once per
//! channel, so a build that runs twice, late, or by hand at the same time as the scheduled one never skips or
//! repeats a detection: whatever is not yet in a digest goes into the next one.

use std::collections::BTreeMap;

use pathfinder_core::privacy::audit;
use tokio_postgres::Transaction;

/// Most detections one digest carries.
pub const DIGEST_SIZE: usize = 10;

/// Advisory lock key serialising digest builds ("digests").
const BUILD_LOCK: i64 = 0x0064_6967_6573_7473;

/// The delivery channels (`digests.channel`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Channel {
    Email,
    Teams,
}

impl Channel {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Email => "email",
            Self::Teams => "teams",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        match text.trim() {
            "email" => Some(Self::Email),
            "teams" => Some(Self::Teams),
            _ => None,
        }
    }
}

/// Per channel: digests created and detections they carry.
pub type BuildSummary = BTreeMap<&'static str, (usize, usize)>;

const UNDIGESTED: &str = "
SELECT d.id FROM detections d
WHERE NOT EXISTS (SELECT 1 FROM digest_items i WHERE i.detection_id = d.id AND i.channel = $1)
ORDER BY d.detected_at, d.id";

const NEW_DIGEST: &str = "
INSERT INTO digests (channel, run_key, detection_count) VALUES ($1, $2, $3) RETURNING id";

const ITEMS: &str = "
INSERT INTO digest_items (digest_id, detection_id, channel, position)
SELECT $1, detection_id, $2, position FROM unnest($3::bigint[]) WITH ORDINALITY AS t(detection_id, position)";

/// Builds the digests of every channel in `channels` inside `tx`; `run_key` names the run (the week, or a manual
/// run) on each digest.
pub async fn build(
    tx: &Transaction<'_>,
    channels: &[Channel],
    run_key: &str,
) -> Result<BuildSummary, tokio_postgres::Error> {
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&BUILD_LOCK]).await?;
    let mut summary = BuildSummary::new();
    for channel in channels {
        let ids: Vec<i64> = tx.query(UNDIGESTED, &[&channel.as_str()]).await?.iter().map(|r| r.get(0)).collect();
        let mut digests = 0;
        for chunk in ids.chunks(DIGEST_SIZE) {
            let count = i32::try_from(chunk.len()).unwrap_or(DIGEST_SIZE as i32);
            let digest: i64 = tx.query_one(NEW_DIGEST, &[&channel.as_str(), &run_key, &count]).await?.get(0);
            tx.execute(ITEMS, &[&digest, &channel.as_str(), &chunk]).await?;
            let details = serde_json::json!({"channel": channel.as_str(), "runKey": run_key, "detectionCount": count});
            audit::append(tx, "digest.built", "weekly-digest", Some(&digest.to_string()), &details).await?;
            digests += 1;
        }
        summary.insert(channel.as_str(), (digests, ids.len()));
    }
    Ok(summary)
}
