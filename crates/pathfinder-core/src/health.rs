//! The health and metrics listener of the worker services (`HEALTH_ADDR`) and of ingest-api when `METRICS_ADDR`
//! is set: `GET /health` (the process runs),
//! `GET /ready` (the database answers and its schema is current, else 503), `GET /metrics` (Prometheus text).

use std::net::TcpListener;
use std::time::Duration;

use actix_web::{App, HttpResponse, HttpServer, web};
use serde_json::json;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use crate::db::DbPool;
use crate::{migrations, telemetry};

/// A running listener: its port (useful with `127.0.0.1:0`) and its task.
pub struct HealthServer {
    pub port: u16,
    pub task: JoinHandle<()>,
}

/// [`serve`] when the setting has an address; `None` when it is empty (off).
pub fn serve_if_set(
    setting: &str,
    addr: &str,
    service: &'static str,
    pool: &DbPool,
    shutdown: &CancellationToken,
) -> anyhow::Result<Option<HealthServer>> {
    if addr.is_empty() { Ok(None) } else { serve(setting, addr, service, pool.clone(), shutdown.clone()).map(Some) }
}

/// Starts the listener on `addr` (the value of the setting named `setting`, for the error); it stops when
/// `shutdown` fires.
pub fn serve(
    setting: &str,
    addr: &str,
    service: &'static str,
    pool: DbPool,
    shutdown: CancellationToken,
) -> anyhow::Result<HealthServer> {
    // Install the recorder now: metrics recorded before it exists are lost.
    let _ = telemetry::metrics_handle();
    let listener = TcpListener::bind(addr).map_err(|e| anyhow::anyhow!("cannot listen on {setting} {addr}: {e}"))?;
    let port = listener.local_addr()?.port();
    let pool = web::Data::new(pool);
    let server = HttpServer::new(move || {
        App::new()
            .app_data(pool.clone())
            .route(
                "/health",
                web::get()
                    .to(move || async move { HttpResponse::Ok().json(json!({"status": "ok", "service": service})) }),
            )
            .route("/ready", web::get().to(ready))
            .route("/metrics", web::get().to(metrics))
    })
    .workers(1)
    .disable_signals()
    .listen(listener)?
    .run();
    let handle = server.handle();
    tokio::spawn(async move {
        shutdown.cancelled().await;
        handle.stop(true).await;
    });
    let task = tokio::spawn(async move {
        if let Err(error) = server.await {
            tracing::warn!(error = %error, "health listener stopped");
        }
    });
    tracing::info!(port, "health listener on {setting}");
    Ok(HealthServer { port, task })
}

async fn ready(pool: web::Data<DbPool>) -> HttpResponse {
    let check = async {
        let client = pool.get().await.map_err(|_| "database unavailable".to_string())?;
        migrations::ensure_current(&client).await.map_err(|e| match e {
            migrations::SchemaError::Behind { .. } => e.to_string(),
            migrations::SchemaError::Database(_) => "database unavailable".to_string(),
        })
    };
    match tokio::time::timeout(Duration::from_secs(2), check).await {
        Ok(Ok(())) => HttpResponse::Ok().json(json!({"status": "ready"})),
        Ok(Err(reason)) => HttpResponse::ServiceUnavailable().json(json!({"status": "unavailable", "reason": reason})),
        Err(_) => HttpResponse::ServiceUnavailable()
            .json(json!({"status": "unavailable", "reason": "database check timed out"})),
    }
}

async fn metrics(pool: web::Data<DbPool>) -> HttpResponse {
    if let Ok(Ok(client)) = tokio::time::timeout(Duration::from_secs(1), pool.get()).await {
        telemetry::gauges::refresh(&**client).await;
    }
    HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4; charset=utf-8")
        .body(telemetry::metrics_handle().render())
}
