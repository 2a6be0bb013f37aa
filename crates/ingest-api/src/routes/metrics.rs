//! `GET /metrics`: Prometheus text exposition.

use actix_web::{HttpResponse, web};

use super::AppState;

#[utoipa::path(get, path = "/metrics", operation_id = "metrics", tag = "service",
    responses((status = 200, description = "Prometheus text exposition", content_type = "text/plain")))]
pub async fn get(state: web::Data<AppState>) -> HttpResponse {
    if let Ok(Ok(client)) = tokio::time::timeout(std::time::Duration::from_secs(1), state.pool.get()).await {
        pathfinder_core::telemetry::gauges::refresh(&**client).await;
    }
    HttpResponse::Ok().content_type("text/plain; version=0.0.4; charset=utf-8").body(state.metrics.render())
}
