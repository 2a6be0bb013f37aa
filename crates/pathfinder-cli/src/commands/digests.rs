//! `pathfinder digests retry <id>`: send a failed digest again (its attempts start over).

use clap::Subcommand;
use pathfinder_core::privacy::audit;
use pathfinder_core::{Settings, db, migrations};

#[derive(Debug, Subcommand)]
pub enum DigestsCommand {
    /// Queue a failed digest for delivery again.
    Retry {
        /// The digest's id (`SELECT id, channel, last_error FROM digests WHERE status = 'failed'`).
        id: i64,
    },
}

pub async fn run(settings: &Settings, command: DigestsCommand) -> anyhow::Result<()> {
    let DigestsCommand::Retry { id } = command;
    let client = db::connect(&settings.database_url, "pathfinder-digests").await?;
    migrations::ensure_current(&client).await?;
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
            audit::append(&client, "admin.retry-digest", &super::operator(), Some(&id.to_string()), &details).await?;
            println!("digest {id} ({}) queued for delivery again", row.get::<_, String>(0));
            Ok(())
        }
        None => {
            let status: Option<String> =
                client.query_opt("SELECT status FROM digests WHERE id = $1", &[&id]).await?.map(|r| r.get(0));
            match status {
                Some(status) => anyhow::bail!("digest {id} is {status}; only failed digests are retried"),
                None => anyhow::bail!("there is no digest {id}"),
            }
        }
    }
}
