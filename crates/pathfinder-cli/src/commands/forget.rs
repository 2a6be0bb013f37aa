//! `pathfinder forget <userId> [--opt-out] [--json]`: erase a member from every table in one transaction (see
//! `pathfinder_core::privacy::erasure`). Prints what was removed, as counts only.

use clap::Args;
use pathfinder_core::privacy::forget_member;
use pathfinder_core::{Settings, db, migrations};

use super::operator;

#[derive(Debug, Args)]
pub struct ForgetArgs {
    /// The member's id on the community platform (as in the webhooks' userId).
    pub user_id: String,
    /// Also add the member to the opt-out list: their later webhooks are ignored and nothing of them is stored.
    #[arg(long)]
    pub opt_out: bool,
    /// Print the counts as one JSON object.
    #[arg(long)]
    pub json: bool,
}

pub async fn run(settings: &Settings, args: &ForgetArgs) -> anyhow::Result<()> {
    if args.user_id.trim().is_empty() {
        anyhow::bail!("the user id is empty");
    }
    let mut client = db::connect(&settings.database_url, "pathfinder-forget").await?;
    migrations::ensure_current(&client).await?;
    let tx = client.transaction().await?;
    let erased = forget_member(&tx, &args.user_id, args.opt_out, &operator()).await?;
    tx.commit().await?;
    if args.json {
        println!("{}", serde_json::to_string(&erased)?);
        return Ok(());
    }
    println!("erased one member (audit entry {}):", erased.audit_seq);
    let lines = [
        ("raw events", erased.events),
        ("dedupe keys", erased.dedupe_keys),
        ("senior state rows", erased.senior_states),
        ("detections", erased.detections),
        ("entries in digests not yet sent", erased.unsent_digest_entries),
        ("digests left empty, deleted", erased.emptied_digests_deleted),
        ("entries in sent digests", erased.sent_digest_entries),
        ("reports queued to be rebuilt without them", erased.reports_to_rebuild),
    ];
    for (what, count) in lines {
        println!("  {count:>6}  {what}");
    }
    if erased.opted_out {
        println!("  opted out: their later webhooks are ignored and store nothing");
    } else {
        println!("  not opted out: a later webhook for them is processed as usual (add --opt-out to stop that)");
    }
    Ok(())
}
