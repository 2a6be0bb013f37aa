//! `pathfinder schedule [--after RFC3339] [--count N] [--json]`: the next fire times of every scheduled job
//! (`discourse-reconcile` only when enabled).

use anyhow::Context;
use chrono::{DateTime, SecondsFormat, Utc};
use clap::Args;
use pathfinder_core::Settings;
use pathfinder_core::schedule::{self, Job};

#[derive(Debug, Args)]
pub struct ScheduleArgs {
    /// Show fire times after this instant (RFC 3339, e.g. 2027-03-01T00:00:00Z); default now.
    #[arg(long)]
    after: Option<String>,
    /// How many fire times per job.
    #[arg(long, default_value_t = 5, value_parser = clap::value_parser!(u16).range(1..=1000))]
    count: u16,
    /// One JSON object per line: {"job","local","utc"}.
    #[arg(long)]
    json: bool,
}

pub fn run(settings: &Settings, args: &ScheduleArgs) -> anyhow::Result<()> {
    let after = match &args.after {
        Some(text) => DateTime::parse_from_rfc3339(text)
            .with_context(|| format!("--after {text:?} is not an RFC 3339 instant such as 2027-03-01T00:00:00Z"))?
            .with_timezone(&Utc),
        None => Utc::now(),
    };
    let tz = settings.tz();
    if !args.json {
        println!("Schedules in {} (TIMEZONE), after {}:", tz.name(), after.to_rfc3339_opts(SecondsFormat::Secs, true));
    }
    // Discourse reconciliation is listed only where it is enabled.
    let enabled = |job: &Job| *job != Job::DiscourseReconcile || settings.discourse.reconcile_enabled;
    for job in Job::ALL.into_iter().filter(enabled) {
        if !args.json {
            println!("\n{job}:");
        }
        let rule = match job {
            Job::DiscourseReconcile => settings.discourse.reconcile_rule(),
            Job::WeeklyDigest | Job::MonthEndReport | Job::PurgeEvents => schedule::Rule::of(job),
        };
        for occurrence in schedule::upcoming_by(job, rule, tz, after, usize::from(args.count)) {
            let json = occurrence.to_json();
            if args.json {
                println!("{json}");
            } else {
                println!(
                    "  {}  ({})  period {}",
                    json["local"].as_str().unwrap_or(""),
                    json["utc"].as_str().unwrap_or(""),
                    occurrence.period_key
                );
            }
        }
    }
    Ok(())
}
