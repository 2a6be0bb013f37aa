//! `digest-sender` binary: settings, logging, then the service until SIGTERM.

#[tokio::main]
async fn main() -> std::process::ExitCode {
    pathfinder_core::service::main("digest-sender", |settings| async move {
        digest_sender::Application::build(settings).await?.run_until_stopped().await
    })
    .await
}
