//! `pathfinder reclassify [--apply] [--json]`: what the rules at RULES_PATH change for the stored seniors.

use anyhow::Context;
use clap::Args;
use pathfinder_classify::Classifier;
use pathfinder_core::{Settings, db, migrations};

#[derive(Debug, Args)]
pub struct ReclassifyArgs {
    /// Write the changes (without it, only report them).
    #[arg(long)]
    apply: bool,
    /// One JSON object per change, then the summary as JSON.
    #[arg(long)]
    json: bool,
}

pub async fn run(settings: &Settings, args: &ReclassifyArgs) -> anyhow::Result<()> {
    let rules = Classifier::load(std::path::Path::new(&settings.rules_path))
        .with_context(|| format!("cannot use the rules at RULES_PATH={}", settings.rules_path))?;
    let mut client = db::connect(&settings.database_url, "pathfinder-reclassify").await?;
    migrations::ensure_current(&client).await?;
    let json = args.json;
    let report = pathfinder_members::reclassify::run(&mut client, &rules, args.apply, |change| {
        if json {
            println!("{}", serde_json::to_string(change).unwrap_or_default());
        } else {
            println!(
                "{:<8} {:<10} {:<24} {} -> {:<8} {:?}",
                change.action,
                change.source,
                change.user_id,
                change.from,
                change.to.unwrap_or("(none)"),
                change.title
            );
        }
    })
    .await?;
    if json {
        println!("{}", serde_json::to_string(&report)?);
    } else {
        let verb = if report.applied { "applied" } else { "dry run, nothing written; add --apply to write" };
        println!(
            "{} seniors examined with rules {}: {} unchanged, {} change level or rule, {} no longer senior ({verb})",
            report.examined, report.rules_version, report.unchanged, report.updated, report.removed
        );
    }
    Ok(())
}
