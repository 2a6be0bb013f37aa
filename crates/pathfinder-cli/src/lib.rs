//! The operator CLI: argument parsing and dispatch to one module per command.

mod commands;

use std::process::ExitCode;

use clap::{Parser, Subcommand};
use pathfinder_core::Settings;

#[derive(Debug, Parser)]
#[command(
    name = "pathfinder",
    version,
    about = "Operate CaptPathfinder: schema, classification, schedules, jobs, import, reports, webhooks, erasure, audit."
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Apply every pending database migration (safe to run twice, or from two processes at once).
    Migrate,
    /// Classify job titles with the rules at RULES_PATH; prints one JSON object per title.
    Classify(commands::classify::ClassifyArgs),
    /// Re-run the current rules over the stored seniors and report what changes (write it with --apply).
    Reclassify(commands::reclassify::ReclassifyArgs),
    /// Print the next fire times of the scheduled jobs, in the configured time zone and in UTC.
    Schedule(commands::schedule::ScheduleArgs),
    /// Digests: send a failed one again.
    Digests {
        #[command(subcommand)]
        command: commands::digests::DigestsCommand,
    },
    /// Outbound webhook endpoints (Standard Webhooks): add, list, remove, rotate-secret, enable, deliveries, resend.
    Endpoints {
        #[command(subcommand)]
        command: commands::endpoints::EndpointsCommand,
    },
    /// Load a member roster (CSV or a Discourse user export) as the baseline: seniors stored, no detections.
    Import(commands::import::ImportArgs),
    /// Reports on demand: `report roster`, the current senior executives as CSV and HTML.
    Report {
        #[command(subcommand)]
        command: commands::report::ReportCommand,
    },
    /// Erase a member from every table (and, with --opt-out, never store them again); prints counts only.
    Forget(commands::forget::ForgetArgs),
    /// The audit log: list entries, or `audit verify` the hash chain.
    Audit(commands::audit::AuditArgs),
    /// Scheduled jobs by hand.
    Jobs {
        #[command(subcommand)]
        command: commands::jobs::JobsCommand,
    },
}

impl Command {
    /// Commands that work without a database.
    fn is_offline(&self) -> bool {
        matches!(self, Self::Classify(_) | Self::Schedule(_))
    }
}

pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let loaded = if cli.command.is_offline() { Settings::load_offline() } else { Settings::load() };
    let settings = match loaded {
        Ok(settings) => settings,
        Err(error) => {
            eprintln!("{error}");
            return ExitCode::from(2);
        }
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build() {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("cannot start the async runtime: {error}");
            return ExitCode::FAILURE;
        }
    };
    let outcome = runtime.block_on(async {
        match cli.command {
            Command::Migrate => commands::migrate::run(&settings).await,
            Command::Classify(args) => commands::classify::run(&settings, &args),
            Command::Reclassify(args) => commands::reclassify::run(&settings, &args).await,
            Command::Schedule(args) => commands::schedule::run(&settings, &args),
            Command::Jobs { command } => commands::jobs::run(&settings, command).await,
            Command::Digests { command } => commands::digests::run(&settings, command).await,
            Command::Endpoints { command } => commands::endpoints::run(&settings, command).await,
            Command::Forget(args) => commands::forget::run(&settings, &args).await,
            Command::Import(args) => commands::import::run(&settings, &args).await,
            Command::Report { command } => commands::report::run(&settings, command).await,
            Command::Audit(args) => commands::audit::run(&settings, &args).await,
        }
    });
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::FAILURE
        }
    }
}
