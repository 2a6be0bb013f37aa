//! `pathfinder import <FILE> [--source S] [--format csv|discourse-export] [--title-field NAME] [--as-of T]
//! [--dry-run] [--strict] [--json]`: load a member roster as the baseline (see `pathfinder_members::import`). A progress bar
//! on a terminal, plain counts otherwise; the summary holds counts and bad rows' line numbers, never names.

use std::fs::File;
use std::io::IsTerminal;
use std::path::PathBuf;

use anyhow::Context;
use chrono::{DateTime, Utc};
use clap::Args;
use pathfinder_classify::Classifier;
use pathfinder_core::member::Source;
use pathfinder_core::{Settings, db, migrations};
use pathfinder_members::import::{self, Format, Options, Summary};

use super::operator;

#[derive(Debug, Args)]
pub struct ImportArgs {
    /// The roster file (CSV, streamed).
    pub file: PathBuf,
    /// Whose members these are; default: discourse for a Discourse export, community otherwise.
    #[arg(long)]
    pub source: Option<Source>,
    /// csv (a header naming userId or user_id, title, optionally username) or discourse-export.
    #[arg(long, default_value = "csv")]
    pub format: Format,
    /// The Discourse user field holding the job title (its column is "<NAME> (custom user field)").
    #[arg(long, default_value = "Job Title")]
    pub title_field: String,
    /// When the file's titles were current (RFC 3339); default: the file's modification time. A member stored
    /// with a state updated after this keeps it.
    #[arg(long)]
    pub as_of: Option<DateTime<Utc>>,
    /// Report what would change; write nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Refuse the whole file (write nothing) if any row is bad.
    #[arg(long)]
    pub strict: bool,
    /// Print the summary as one JSON object.
    #[arg(long)]
    pub json: bool,
}

pub async fn run(settings: &Settings, args: &ImportArgs) -> anyhow::Result<()> {
    let rules = Classifier::load(std::path::Path::new(&settings.rules_path))
        .with_context(|| format!("cannot use the rules at RULES_PATH={}", settings.rules_path))?;
    let rules = std::sync::Arc::new(rules);
    let metadata = std::fs::metadata(&args.file).with_context(|| format!("cannot read {}", args.file.display()))?;
    let as_of = match args.as_of {
        Some(at) => at,
        None => DateTime::<Utc>::from(metadata.modified().context("the file has no modification time; give --as-of")?),
    };
    let source = args.source.unwrap_or(match args.format {
        Format::DiscourseExport => Source::Discourse,
        Format::Csv => Source::Community,
    });
    let options = Options {
        source,
        format: args.format,
        title_field: args.title_field.clone(),
        as_of,
        dry_run: args.dry_run,
        strict: args.strict,
    };
    let mut client = db::connect(&settings.database_url, "pathfinder-import").await?;
    migrations::ensure_current(&client).await?;

    let bar = std::io::stderr().is_terminal().then(|| {
        let bar = indicatif::ProgressBar::new(metadata.len());
        bar.set_style(
            indicatif::ProgressStyle::with_template("{bar:40} {bytes}/{total_bytes} {msg} ({eta})")
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
        );
        bar
    });
    let open = || {
        let file = File::open(&args.file)?;
        Ok::<Box<dyn std::io::Read + Send>, std::io::Error>(match &bar {
            Some(bar) => Box::new(bar.wrap_read(file)),
            None => Box::new(file),
        })
    };
    let plain = bar.is_none() && !args.json;
    let mut last_reported = 0;
    let summary = import::run(&mut client, open, &options, &rules, &operator(), |rows| {
        if let Some(bar) = &bar {
            bar.set_message(format!("{rows} rows"));
        } else if plain && rows >= last_reported + 100_000 {
            eprintln!("{rows} rows read");
            last_reported = rows;
        }
    })
    .await?;
    if let Some(bar) = &bar {
        bar.finish_and_clear();
    }
    if args.json {
        println!("{}", serde_json::to_string(&summary)?);
    } else {
        print_summary(&summary, &options);
    }
    if summary.refused {
        anyhow::bail!("--strict: {} bad row(s); nothing was imported", summary.bad_rows);
    }
    Ok(())
}

fn print_summary(summary: &Summary, options: &Options) {
    for bad in &summary.bad {
        eprintln!("line {}: {}", bad.line, bad.reason);
    }
    if summary.bad_rows > summary.bad.len() as u64 {
        eprintln!("... {} bad rows in all", summary.bad_rows);
    }
    let verb = if summary.dry_run { "would import" } else { "imported" };
    println!("{verb} {} rows from {} (as of {}):", summary.rows, options.source, options.as_of.to_rfc3339());
    let lines = [
        ("bad rows (skipped)", summary.bad_rows),
        ("seniors in the file", summary.seniors),
        ("not senior (not stored)", summary.not_senior),
        ("seniors added", summary.added),
        ("seniors updated", summary.updated),
        ("already stored, unchanged", summary.unchanged),
        ("stored state newer than the file, kept", summary.kept_newer),
        ("no longer senior, removed", summary.removed),
    ];
    for (what, count) in lines {
        println!("  {count:>8}  {what}");
    }
    if let Some(seq) = summary.audit_seq {
        println!("  audit entry {seq}; no detection was written (this is the baseline)");
    }
}
