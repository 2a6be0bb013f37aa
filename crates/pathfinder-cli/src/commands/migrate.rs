//! `pathfinder migrate`: apply the embedded migrations of `migrations/`.

use anyhow::Context;
use pathfinder_core::{Settings, db, migrations};

pub async fn run(settings: &Settings) -> anyhow::Result<()> {
    let mut client = db::connect(&settings.database_url, "pathfinder-migrate").await.with_context(|| {
        format!("cannot connect to {}", pathfinder_core::settings::redact_url(&settings.database_url))
    })?;
    let report = migrations::run(&mut client).await.context("migration failed")?;
    if report.applied.is_empty() {
        println!("schema is up to date (version {})", report.current_version.unwrap_or(0));
    } else {
        for migration in &report.applied {
            println!("applied {migration}");
        }
        println!("schema is now at version {}", report.current_version.unwrap_or(0));
    }
    Ok(())
}
