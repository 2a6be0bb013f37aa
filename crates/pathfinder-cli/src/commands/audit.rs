//! `pathfinder audit [--since RFC3339] [--kind K] [--limit N] [--json]` lists the audit log, newest first;
//! `pathfinder audit verify [--json]` walks the hash chain and says whether it is intact (exit status 1 if not).

use chrono::{DateTime, SecondsFormat, Utc};
use clap::{Args, Subcommand};
use pathfinder_core::privacy::{AuditFilter, audit};
use pathfinder_core::{Settings, db, migrations};

#[derive(Debug, Args)]
pub struct AuditArgs {
    #[command(subcommand)]
    pub command: Option<AuditCommand>,
    /// Only entries at or after this instant (RFC 3339, e.g. 2026-11-01T00:00:00Z).
    #[arg(long)]
    pub since: Option<DateTime<Utc>>,
    /// An exact kind (detection, digest.built, digest.delivery, admin.send-digests, member.erased,
    /// retention.purge, roster.import) or a family (digest, admin, member, roster).
    #[arg(long)]
    pub kind: Option<String>,
    /// How many entries, newest first.
    #[arg(long, default_value_t = 50, value_parser = clap::value_parser!(i64).range(1..=100_000))]
    pub limit: i64,
    /// One JSON object per line.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// Recompute every entry's hash and link; exit status 1 if the chain is broken.
    Verify {
        /// Print the result as one JSON object.
        #[arg(long)]
        json: bool,
    },
}

pub async fn run(settings: &Settings, args: &AuditArgs) -> anyhow::Result<()> {
    let client = db::connect(&settings.database_url, "pathfinder-audit").await?;
    migrations::ensure_current(&client).await?;
    if let Some(AuditCommand::Verify { json }) = args.command {
        let check = audit::verify(&client).await?;
        if json {
            println!("{}", serde_json::to_string(&check)?);
        } else if check.intact {
            println!(
                "audit chain intact: {} entries, head hash {}",
                check.entries,
                check.head_hash.as_deref().unwrap_or("-")
            );
        } else {
            println!(
                "audit chain BROKEN at entry {} ({} does not match): {} entries",
                check.first_broken_seq.unwrap_or_default(),
                check.problem.as_deref().unwrap_or("?"),
                check.entries
            );
        }
        if !check.intact {
            anyhow::bail!("the audit log was changed outside the application");
        }
        return Ok(());
    }
    let filter = AuditFilter { since: args.since, kind: args.kind.clone(), limit: args.limit };
    let entries = audit::list(&client, &filter).await?;
    for entry in &entries {
        if args.json {
            println!("{}", serde_json::to_string(entry)?);
        } else {
            println!(
                "{:>6}  {}  {:<20} {:<28} {:<8} {}",
                entry.seq,
                entry.at.to_rfc3339_opts(SecondsFormat::Secs, true),
                entry.kind,
                entry.actor,
                entry.subject.as_deref().unwrap_or("-"),
                entry.details
            );
        }
    }
    if entries.is_empty() && !args.json {
        println!("no audit entries match");
    }
    Ok(())
}
