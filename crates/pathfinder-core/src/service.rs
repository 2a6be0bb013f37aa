//! The whole `main` of a service binary: load settings (exit 2 with one line naming a bad setting), set up logging,
//! run the service until it stops (exit 0), or report why it could not start or stopped (exit 1).

use std::future::Future;
use std::process::ExitCode;

use crate::{Settings, telemetry};

pub async fn main<F, Fut>(name: &str, run: F) -> ExitCode
where
    F: FnOnce(Settings) -> Fut,
    Fut: Future<Output = anyhow::Result<()>>,
{
    let settings = match Settings::load() {
        Ok(settings) => settings,
        Err(error) => {
            eprintln!("{error}");
            return ExitCode::from(2);
        }
    };
    // Held to the end of main: dropping it writes out the log lines still queued.
    let _log_guard = telemetry::init_logging(&settings);
    // Every service records metrics from its first moment; the recorder must exist before they do.
    let _ = telemetry::metrics_handle();
    match run(settings).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) if error.is::<crate::shutdown::Stopped>() => {
            tracing::info!("{name} stopped before it finished starting");
            ExitCode::SUCCESS
        }
        Err(error) => {
            tracing::error!(error = %format!("{error:#}"), "{name} stopped with an error");
            eprintln!("{name}: {error:#}");
            ExitCode::FAILURE
        }
    }
}
