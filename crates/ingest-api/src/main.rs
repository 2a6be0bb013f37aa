//! `ingest-api` binary: settings, logging, then the service until SIGTERM.

#[tokio::main]
async fn main() -> std::process::ExitCode {
    pathfinder_core::service::main("ingest-api", |settings| async move {
        ingest_api::Application::build(settings).await?.run_until_stopped().await
    })
    .await
}
