//! Logs (tracing) and metrics (Prometheus text) set up once per process.

pub mod gauges;

use std::io::IsTerminal;
use std::sync::OnceLock;

pub use metrics_exporter_prometheus::PrometheusHandle;
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder};
use tracing_appender::non_blocking::{NonBlockingBuilder, WorkerGuard};
use tracing_subscriber::EnvFilter;

use crate::settings::{LogFormat, Settings};

/// Log lines held for the writer thread before new ones are dropped (tracing-appender's default).
pub const LOG_BUFFER_LINES: usize = 128_000;

/// Keeps the log writer thread; dropping it writes out every line still queued. Hold it until the process ends.
#[must_use = "dropping the guard stops the log writer"]
pub struct LogGuard {
    _writer: Option<WorkerGuard>,
}

/// Installs the global tracing subscriber, filtered by `RUST_LOG` / `LOG_LEVEL` (settings' `log_level`). Lines go
/// to stderr through a writer thread (tracing-appender): a request only queues its line, so a slow or blocked
/// stderr never stalls it; when more than [`LOG_BUFFER_LINES`] lines wait, new ones are dropped rather than
/// waited for. Safe to call more than once (later calls do nothing).
pub fn init_logging(settings: &Settings) -> LogGuard {
    let filter = EnvFilter::try_new(&settings.log_level).unwrap_or_else(|_| EnvFilter::new("info"));
    let (writer, guard) = NonBlockingBuilder::default()
        .buffered_lines_limit(LOG_BUFFER_LINES)
        .lossy(true)
        .thread_name("pathfinder-log-writer")
        .finish(std::io::stderr());
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(writer)
        .with_ansi(std::io::stderr().is_terminal());
    let result = match settings.log_format {
        LogFormat::Json => builder.json().flatten_event(true).with_current_span(true).with_span_list(false).try_init(),
        LogFormat::Pretty => builder.compact().try_init(),
    };
    // An error means a subscriber is already installed (tests start several apps in one process): this call's
    // writer thread is not used, so its guard can go.
    LogGuard { _writer: result.is_ok().then_some(guard) }
}

/// The process-wide Prometheus recorder, installed on first use.
pub fn metrics_handle() -> PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE
        .get_or_init(|| {
            let builder = PrometheusBuilder::new()
                .set_buckets_for_metric(
                    Matcher::Suffix("_seconds".to_string()),
                    &[0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0],
                )
                .and_then(|b| {
                    b.set_buckets_for_metric(
                        Matcher::Suffix("_rows".to_string()),
                        &[1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0, 128.0, 256.0, 512.0],
                    )
                });
            match builder {
                Ok(builder) => match builder.install_recorder() {
                    Ok(handle) => handle,
                    Err(error) => {
                        tracing::warn!(error = %error, "metrics recorder not installed");
                        PrometheusBuilder::new().build_recorder().handle()
                    }
                },
                Err(error) => {
                    tracing::warn!(error = %error, "metrics buckets rejected");
                    PrometheusBuilder::new().build_recorder().handle()
                }
            }
        })
        .clone()
}
