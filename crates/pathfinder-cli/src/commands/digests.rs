//! `pathfinder digests retry <id>`: send a failed digest again (its attempts start over).
//! `pathfinder digests backfill <channel> [--since T]`: a channel's next digests also carry the detections from
//! before it was enabled (from T on, or everything still stored).

use chrono::{DateTime, Utc};
use clap::Subcommand;
use pathfinder_core::db::RowExt;
use pathfinder_core::privacy::audit;
use pathfinder_core::{Settings, db, migrations};
use pathfinder_digests::assemble::{self, Channel};

#[derive(Debug, Subcommand)]
pub enum DigestsCommand {
    /// Queue a failed digest for delivery again.
    Retry {
        /// The digest's id (`SELECT id, channel, last_error FROM digests WHERE status = 'failed'`).
        id: i64,
    },
    /// Let a channel's next digests carry detections from before it was enabled.
    Backfill {
        /// `email` or `teams`.
        #[arg(value_parser = parse_channel)]
        channel: Channel,
        /// Earliest detection time (RFC 3339); without it, every detection still stored.
        #[arg(long, value_parser = parse_time)]
        since: Option<DateTime<Utc>>,
    },
}

fn parse_time(text: &str) -> Result<DateTime<Utc>, String> {
    DateTime::parse_from_rfc3339(text)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|e| format!("{text:?} is not an RFC 3339 time such as 2026-01-01T00:00:00Z: {e}"))
}

fn parse_channel(text: &str) -> Result<Channel, String> {
    Channel::parse(text).ok_or_else(|| format!("unknown channel {text:?}: use email or teams"))
}

pub async fn run(settings: &Settings, command: DigestsCommand) -> anyhow::Result<()> {
    let client = db::connect(&settings.database_url, "pathfinder-digests").await?;
    migrations::ensure_current(&client).await?;
    match command {
        DigestsCommand::Retry { id } => retry(&client, id).await,
        DigestsCommand::Backfill { channel, since } => {
            let start = assemble::backfill(&client, channel, since).await?;
            let details = serde_json::json!({"channel": channel.as_str(), "since": start});
            audit::append(&client, "admin.channel-backfill", &super::operator(), Some(channel.as_str()), &details)
                .await?;
            println!(
                "{} digests carry detections from {start} on: the next build (weekly, or POST /admin/send-digests) \
                 sends those not yet sent",
                channel.as_str()
            );
            Ok(())
        }
    }
}

async fn retry(client: &tokio_postgres::Client, id: i64) -> anyhow::Result<()> {
    let retried = client
        .query_opt(
            "UPDATE digests SET status = 'pending', attempts = 0, next_attempt_at = now(), last_error = NULL
             WHERE id = $1 AND status = 'failed' RETURNING channel",
            &[&id],
        )
        .await?;
    match retried {
        Some(row) => {
            client.execute("SELECT pg_notify('pathfinder_digests', '')", &[]).await?;
            let details = serde_json::json!({"digestId": id});
            audit::append(client, "admin.retry-digest", &super::operator(), Some(&id.to_string()), &details).await?;
            println!("digest {id} ({}) queued for delivery again", row.column::<String>("channel")?);
            Ok(())
        }
        None => {
            let status: Option<String> =
                match client.query_opt("SELECT status FROM digests WHERE id = $1", &[&id]).await? {
                    Some(row) => Some(row.column("status")?),
                    None => None,
                };
            match status {
                Some(status) => anyhow::bail!("digest {id} is {status}; only failed digests are retried"),
                None => anyhow::bail!("there is no digest {id}"),
            }
        }
    }
}
