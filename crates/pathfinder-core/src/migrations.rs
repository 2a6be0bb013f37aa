//! The schema migrations of `migrations/`, embedded at build time and applied by `pathfinder migrate`.
//!
//! Applying is serialised by a PostgreSQL advisory lock, so two `pathfinder migrate` processes started at once
//! both succeed and leave one schema. Services call [`ensure_current`] at start and refuse to run against a
//! database whose schema is behind this build.

use tokio_postgres::Client;

mod embedded {
    refinery::embed_migrations!("../../migrations");
}

/// Arbitrary constant naming the migration lock (`pg_advisory_lock` key).
const MIGRATION_LOCK_KEY: i64 = 0x7061_7468_6669_6e64; // "pathfind"

/// What a migration run did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MigrationReport {
    pub applied: Vec<String>,
    pub current_version: Option<i32>,
}

/// The schema is not usable by this build.
#[derive(Debug, thiserror::Error)]
pub enum SchemaError {
    #[error("database schema is at version {found:?}, this build needs {needed}: run `pathfinder migrate`")]
    Behind { found: Option<i32>, needed: i32 },
    #[error("cannot read the schema version: {0}")]
    Database(#[from] tokio_postgres::Error),
}

/// The newest migration version compiled into this build.
pub fn latest_version() -> i32 {
    embedded::migrations::runner().get_migrations().iter().map(|m| m.version()).max().unwrap_or(0)
}

/// A stable fingerprint of the embedded migrations (test databases are cloned from a template named by it).
pub fn fingerprint() -> String {
    let mut parts: Vec<String> = embedded::migrations::runner()
        .get_migrations()
        .iter()
        .map(|m| format!("{}:{}", m.version(), m.checksum()))
        .collect();
    parts.sort();
    let joined = parts.join(",");
    // FNV-1a: small, dependency-free and stable across builds and processes.
    let hash = joined.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3));
    format!("{hash:016x}")
}

/// Applies every pending migration, holding the migration lock for the whole run.
pub async fn run(client: &mut Client) -> anyhow::Result<MigrationReport> {
    client.execute("SELECT pg_advisory_lock($1)", &[&MIGRATION_LOCK_KEY]).await?;
    let outcome = embedded::migrations::runner().set_abort_divergent(true).run_async(client).await;
    let unlock = client.execute("SELECT pg_advisory_unlock($1)", &[&MIGRATION_LOCK_KEY]).await;
    let report = outcome?;
    unlock?;
    Ok(MigrationReport {
        applied: report.applied_migrations().iter().map(|m| m.to_string()).collect(),
        current_version: current_version(client).await?,
    })
}

/// The highest applied migration version, or `None` on an empty database.
pub async fn current_version(client: &Client) -> Result<Option<i32>, tokio_postgres::Error> {
    let exists: bool = client
        .query_one("SELECT to_regclass('refinery_schema_history') IS NOT NULL AS exists", &[])
        .await?
        .try_get("exists")?;
    if !exists {
        return Ok(None);
    }
    client.query_one("SELECT max(version) FROM refinery_schema_history", &[]).await?.try_get(0)
}

/// Fails with a message naming `pathfinder migrate` when the database is behind this build.
pub async fn ensure_current(client: &Client) -> Result<(), SchemaError> {
    let found = current_version(client).await?;
    let needed = latest_version();
    match found {
        Some(version) if version >= needed => Ok(()),
        _ => Err(SchemaError::Behind { found, needed }),
    }
}

/// Waits until the database answers with a current schema. Fails at once when the schema is behind this build
/// (naming `pathfinder migrate`); while the database cannot be reached it logs once and keeps trying, until
/// `shutdown` fires.
pub async fn wait_until_current(
    pool: &deadpool_postgres::Pool,
    shutdown: &tokio_util::sync::CancellationToken,
) -> anyhow::Result<()> {
    let mut logged = false;
    loop {
        let unreachable = match pool.get().await {
            Ok(client) => match ensure_current(&client).await {
                Ok(()) => return Ok(()),
                Err(behind @ SchemaError::Behind { .. }) => return Err(behind.into()),
                Err(SchemaError::Database(error)) => crate::db::describe(&error),
            },
            Err(error) => crate::db::describe(&error),
        };
        if !logged {
            tracing::warn!(error = %unreachable, "database not reachable yet; waiting");
            logged = true;
        }
        tokio::select! {
            _ = shutdown.cancelled() => return Err(crate::shutdown::Stopped.into()),
            _ = tokio::time::sleep(std::time::Duration::from_secs(1)) => {}
        }
    }
}
