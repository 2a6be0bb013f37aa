//! `pathfinder forget <userId> [--source S] [--opt-out] [--json]`: erase a member from every table in one transaction
//! (see `pathfinder_core::privacy::erasure`), on every source unless `--source` names one. Prints what was
//! removed, as counts only, and which sources held a member with this id.

use clap::Args;
use pathfinder_core::member::Source;
use pathfinder_core::privacy::forget_member;
use pathfinder_core::{Settings, db, migrations};

use super::operator;

#[derive(Debug, Args)]
pub struct ForgetArgs {
    /// The member's id on the community platform (as in the webhooks' userId).
    pub user_id: String,
    /// Erase the member of this source only (community or discourse); default: the id on every source.
    #[arg(long)]
    pub source: Option<Source>,
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
    let erased = forget_member(&tx, &args.user_id, args.source, args.opt_out, &operator()).await?;
    tx.commit().await?;
    if args.json {
        println!("{}", serde_json::to_string(&erased)?);
        return Ok(());
    }
    println!("erased {} member(s) with this id (audit entry {}):", erased.members_found, erased.audit_seq);
    for own in &erased.sources {
        let found = if own.found { "member found" } else { "no member" };
        println!("  {:<10} {found}", own.source.as_str());
    }
    let lines = [
        ("raw events", erased.events),
        ("dedupe keys", erased.dedupe_keys),
        ("senior state rows", erased.senior_states),
        ("detections", erased.detections),
        ("entries in digests not yet sent", erased.unsent_digest_entries),
        ("digests left empty, deleted", erased.emptied_digests_deleted),
        ("entries in sent digests", erased.sent_digest_entries),
        ("reports queued to be rebuilt without them", erased.reports_to_rebuild),
        ("outbound webhook deliveries not yet sent, dropped", erased.outbound_pending_dropped),
        ("outbound webhook deliveries deleted in all", erased.outbound_deliveries_deleted),
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
