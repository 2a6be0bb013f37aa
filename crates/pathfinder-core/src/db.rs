//! The PostgreSQL connection pool shared by every service, and how its errors are classified.

use std::time::Duration;

use deadpool_postgres::{Manager, ManagerConfig, Pool, RecyclingMethod, Runtime};
use tokio_postgres::NoTls;

use crate::Settings;

pub mod row;
pub mod tls;

pub use deadpool_postgres::{Object as PooledClient, Pool as DbPool, PoolError};
pub use row::{QueryError, RowExt, SchemaDrift};

/// What a pool's connections run, which decides their PostgreSQL `statement_timeout`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Workload {
    /// HTTP requests (ingest-api): `database.statement_timeout_ms`, short, so a stuck statement becomes a 503.
    Requests,
    /// Workers and the CLI (batches, builds, purges): `database.background_statement_timeout_ms` (0: none).
    Background,
}

impl Workload {
    /// The `statement_timeout` in milliseconds (0: none).
    pub fn statement_timeout_ms(self, settings: &Settings) -> u64 {
        match self {
            Self::Requests => settings.database.statement_timeout_ms,
            Self::Background => settings.database.background_statement_timeout_ms,
        }
    }
}

/// Builds a pool for background work (workers, the CLI): see [`create_pool_for`].
pub fn create_pool(settings: &Settings, application_name: &str) -> anyhow::Result<Pool> {
    create_pool_for(settings, application_name, Workload::Background)
}

/// Builds the pool. Connections are opened lazily, so this succeeds while the database is down; callers see
/// [`PoolError`]s until it is back, and broken connections are discarded on their next checkout. Each connection
/// starts with the workload's `statement_timeout` (sent in the startup packet: no extra round trip), after any
/// `options` the URL gives.
pub fn create_pool_for(settings: &Settings, application_name: &str, workload: Workload) -> anyhow::Result<Pool> {
    let target = tls::parse(&settings.database_url)?;
    let mut config = target.config;
    config.application_name(application_name);
    let timeout = format!("-c statement_timeout={}", workload.statement_timeout_ms(settings));
    let options = match config.get_options() {
        Some(given) if !given.trim().is_empty() => format!("{given} {timeout}"),
        _ => timeout,
    };
    config.options(&options);
    config.connect_timeout(Duration::from_millis(settings.database.connect_timeout_ms));
    config.keepalives(true);
    config.keepalives_idle(Duration::from_secs(30));
    let manager_config = ManagerConfig { recycling_method: RecyclingMethod::Fast };
    let manager = match target.tls {
        Some(tls) => Manager::from_config(config, tls, manager_config),
        None => Manager::from_config(config, NoTls, manager_config),
    };
    let acquire = Duration::from_millis(settings.database.acquire_timeout_ms);
    let connect = Duration::from_millis(settings.database.connect_timeout_ms);
    let pool = Pool::builder(manager)
        .max_size(settings.database.pool_size)
        .runtime(Runtime::Tokio1)
        .wait_timeout(Some(acquire))
        .create_timeout(Some(connect))
        .recycle_timeout(Some(connect))
        .build()?;
    Ok(pool)
}

/// Opens one direct connection (migrations, LISTEN), its driver task spawned on the current runtime.
pub async fn connect(database_url: &str, application_name: &str) -> anyhow::Result<tokio_postgres::Client> {
    let target = tls::parse(database_url)?;
    let mut config = target.config;
    config.application_name(application_name);
    config.connect_timeout(Duration::from_secs(5));
    let client = match target.tls {
        Some(tls) => {
            let (client, connection) = config.connect(tls).await?;
            tokio::spawn(drive(connection));
            client
        }
        None => {
            let (client, connection) = config.connect(NoTls).await?;
            tokio::spawn(drive(connection));
            client
        }
    };
    Ok(client)
}

/// Runs a direct connection until it closes.
async fn drive<S, T>(connection: tokio_postgres::Connection<S, T>)
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin,
    T: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin,
{
    if let Err(error) = connection.await {
        tracing::debug!(error = %error, "database connection closed");
    }
}

/// True when the error means "the database cannot be reached or is going away" (answer 503, try again later)
/// rather than "this statement is wrong".
pub fn is_unavailable(error: &tokio_postgres::Error) -> bool {
    if error.is_closed() {
        return true;
    }
    match error.code() {
        // Class 08 connection exception, 57P admin/crash shutdown or cannot connect now, 53 insufficient resources.
        Some(code) => {
            let code = code.code();
            code.starts_with("08") || code.starts_with("57P") || code.starts_with("53")
        }
        // No SQLSTATE: an I/O or protocol failure on the socket.
        None => true,
    }
}

/// An error with its causes, one line (deadpool and tokio-postgres hide the useful part in `source()`).
pub fn describe(error: &(dyn std::error::Error + 'static)) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        let cause_text = cause.to_string();
        if !text.contains(&cause_text) {
            text.push_str(": ");
            text.push_str(&cause_text);
        }
        source = cause.source();
    }
    text
}
