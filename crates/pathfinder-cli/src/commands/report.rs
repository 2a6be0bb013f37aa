//! `pathfinder report roster [--out DIR] [--json]`: the current seniors (see `pathfinder_reports::roster`) as
//! `roster-YYYY-MM-DD.csv` and `.html` in REPORTS_DIR (or `--out`). Audited as `roster.report` (who, counts, never
//! names); the audit entry commits only once both files are in place.

use std::path::{Path, PathBuf};

use chrono::Utc;
use clap::{Args, Subcommand};
use pathfinder_core::privacy::audit;
use pathfinder_core::{Settings, db, migrations};
use pathfinder_reports::roster;

use super::operator;

#[derive(Debug, Subcommand)]
pub enum ReportCommand {
    /// The current senior executives (every member in user_state) as CSV and HTML.
    Roster(RosterArgs),
}

#[derive(Debug, Args)]
pub struct RosterArgs {
    /// The folder to write to; default: REPORTS_DIR.
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Print the summary as one JSON object.
    #[arg(long)]
    pub json: bool,
}

pub async fn run(settings: &Settings, command: ReportCommand) -> anyhow::Result<()> {
    match command {
        ReportCommand::Roster(args) => run_roster(settings, &args).await,
    }
}

async fn run_roster(settings: &Settings, args: &RosterArgs) -> anyhow::Result<()> {
    let dir = args.out.clone().unwrap_or_else(|| PathBuf::from(&settings.reports_dir));
    let mut client = db::connect(&settings.database_url, "pathfinder-report").await?;
    migrations::ensure_current(&client).await?;
    // One snapshot for the rows and the audit entry; the entry commits only after both files are written.
    let tx = client.build_transaction().isolation_level(tokio_postgres::IsolationLevel::RepeatableRead).start().await?;
    let data = roster::load(&tx, settings.tz(), Utc::now()).await?;
    let counts = serde_json::json!({
        "date": data.date,
        "seniors": data.total,
        "cSuite": data.c_suite_count,
        "vp": data.vp_count,
        "bySource": {"community": data.community_count, "discourse": data.discourse_count},
    });
    let audit_seq = audit::append(&tx, "roster.report", &operator(), None, &counts).await?;
    let written = roster::write(&dir, Path::new(&settings.delivery.templates_dir), &data)?;
    tx.commit().await?;
    if args.json {
        let mut summary = counts;
        summary["csv"] = written.csv_uri.into();
        summary["html"] = written.html_uri.into();
        summary["auditSeq"] = audit_seq.into();
        println!("{}", serde_json::to_string(&summary)?);
        return Ok(());
    }
    println!(
        "roster of {}: {} senior executives ({} C-suite, {} VP; {} community, {} discourse)",
        data.date, data.total, data.c_suite_count, data.vp_count, data.community_count, data.discourse_count
    );
    println!("  {}", written.csv_uri);
    println!("  {}", written.html_uri);
    println!("  audit entry {audit_seq}");
    Ok(())
}
