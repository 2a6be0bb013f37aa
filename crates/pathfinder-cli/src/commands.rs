//! One module per `pathfinder` subcommand.

pub mod audit;
pub mod classify;
pub mod digests;
pub mod endpoints;
pub mod forget;
pub mod import;
pub mod jobs;
pub mod migrate;
pub mod reclassify;
pub mod reconcile;
pub mod report;
pub mod schedule;

/// Who an operator's command is recorded as in the audit log: `cli:<login name>`.
pub fn operator() -> String {
    let user = std::env::var("USER").or_else(|_| std::env::var("LOGNAME")).unwrap_or_else(|_| "unknown".into());
    format!("cli:{user}")
}
