//! `classifier` binary: load settings, set up telemetry, run until SIGTERM.

use std::process::ExitCode;

#[tokio::main]
async fn main() -> ExitCode {
    let settings = match pathfinder_core::Settings::load() {
        Ok(settings) => settings,
        Err(error) => {
            eprintln!("{error}");
            return ExitCode::from(2);
        }
    };
    pathfinder_core::telemetry::init_logging(&settings);
    match classifier::Application::build(settings).await {
        Ok(app) => match app.run_until_stopped().await {
            Ok(()) => ExitCode::SUCCESS,
            Err(error) => {
                tracing::error!(error = %format!("{error:#}"), "classifier stopped with an error");
                ExitCode::FAILURE
            }
        },
        Err(error) => {
            eprintln!("classifier cannot start: {error:#}");
            ExitCode::FAILURE
        }
    }
}
