//! Building digests: every detection not yet in a digest of a channel, oldest first, in digests of at most 10,
//! from the channel's start on (`digest_channel_starts`, see [`record_starts`]): a channel turned on later does not
//! send the history from before it was enabled, unless the operator asks for a [`backfill`].
//!
//! Builders are serialised by a transaction-scoped advisory lock, and `digest_items` allows a detection once per
//! channel, so a build that runs twice, late, or by hand at the same time as the scheduled one never skips or
//! repeats a detection: whatever is not yet in a digest goes into the next one.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use pathfinder_core::privacy::audit;
use tokio_postgres::{GenericClient, Transaction};

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
  AND d.detected_at >= (SELECT started_at FROM digest_channel_starts WHERE channel = $1)
ORDER BY d.detected_at, d.id";

/// The channels of a new install (none recorded yet) start at -infinity, so nothing since the install is left out;
/// a channel first seen later starts now. A channel already recorded keeps its start.
const RECORD_STARTS: &str = "
INSERT INTO digest_channel_starts (channel, started_at)
SELECT c, CASE WHEN EXISTS (SELECT 1 FROM digest_channel_starts) THEN now() ELSE '-infinity'::timestamptz END
FROM unnest($1::text[]) AS c
ON CONFLICT (channel) DO NOTHING
RETURNING channel, started_at = '-infinity'::timestamptz AS from_install";

const BACKFILL: &str = "
INSERT INTO digest_channel_starts (channel, started_at) VALUES ($1, COALESCE($2, '-infinity'::timestamptz))
ON CONFLICT (channel) DO UPDATE SET started_at = LEAST(digest_channel_starts.started_at, EXCLUDED.started_at)
RETURNING started_at::text AS started_at";

/// Records the start of every channel in `channels` not yet recorded (digest-sender at start, and every build).
pub async fn record_starts(client: &impl GenericClient, channels: &[Channel]) -> Result<(), tokio_postgres::Error> {
    let names: Vec<&str> = channels.iter().map(|c| c.as_str()).collect();
    for row in client.query(RECORD_STARTS, &[&names]).await? {
        let (channel, from_install): (&str, bool) = (row.try_get("channel")?, row.try_get("from_install")?);
        if from_install {
            tracing::info!(channel, "digest channel enabled: its digests carry every detection since the install");
        } else {
            tracing::info!(
                channel,
                "digest channel enabled: its digests carry detections from now on \
                 (`pathfinder digests backfill {channel}` sends earlier ones)"
            );
        }
    }
    Ok(())
}

/// Moves the start of `channel` back to `since` (`None`: everything still stored), never forward; the next build
/// puts the detections from then on that are not yet in one of its digests into digests. Returns the start as
/// PostgreSQL shows it (`-infinity` for everything).
pub async fn backfill(
    client: &impl GenericClient,
    channel: Channel,
    since: Option<DateTime<Utc>>,
) -> Result<String, tokio_postgres::Error> {
    client.query_one(BACKFILL, &[&channel.as_str(), &since]).await?.try_get("started_at")
}

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
    record_starts(tx, channels).await?;
    let mut summary = BuildSummary::new();
    for channel in channels {
        let ids: Vec<i64> = tx
            .query(UNDIGESTED, &[&channel.as_str()])
            .await?
            .iter()
            .map(|r| r.try_get("id"))
            .collect::<Result<_, _>>()?;
        let mut digests = 0;
        for chunk in ids.chunks(DIGEST_SIZE) {
            let count = i32::try_from(chunk.len()).unwrap_or(DIGEST_SIZE as i32);
            let digest: i64 = tx.query_one(NEW_DIGEST, &[&channel.as_str(), &run_key, &count]).await?.try_get("id")?;
            tx.execute(ITEMS, &[&digest, &channel.as_str(), &chunk]).await?;
            let details = serde_json::json!({"channel": channel.as_str(), "runKey": run_key, "detectionCount": count});
            audit::append(tx, "digest.built", "weekly-digest", Some(&digest.to_string()), &details).await?;
            digests += 1;
        }
        summary.insert(channel.as_str(), (digests, ids.len()));
    }
    Ok(summary)
}
