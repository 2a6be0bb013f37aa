//! `report-builder` binary: settings, logging, then the service until SIGTERM.

#[tokio::main]
async fn main() -> std::process::ExitCode {
    pathfinder_core::service::main("report-builder", |settings| async move {
        report_builder::Application::build(settings).await?.run_until_stopped().await
    })
    .await
}
