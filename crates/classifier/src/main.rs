//! `classifier` binary: settings, logging, then the service until SIGTERM.

#[tokio::main]
async fn main() -> std::process::ExitCode {
    pathfinder_core::service::main("classifier", |settings| async move {
        classifier::Application::build(settings).await?.run_until_stopped().await
    })
    .await
}
