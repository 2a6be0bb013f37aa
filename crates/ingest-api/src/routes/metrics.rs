//! `GET /metrics`: Prometheus text exposition, on the public port unless METRICS_ADDR gives it a listener of its own
//! (then it answers 404 here). The database gauges are cached for a few seconds (`telemetry::gauges`).

use actix_web::get;
use actix_web::{HttpResponse, web};

use super::AppState;

#[utoipa::path(operation_id = "metrics", tag = "service",
    responses((status = 200, description = "Prometheus text exposition", content_type = "text/plain")))]
#[get("/metrics")]
pub async fn get(state: web::Data<AppState>) -> HttpResponse {
    if !state.metrics_on_public_port {
        return HttpResponse::NotFound().json(crate::openapi::ErrorBody {
            error: crate::openapi::ErrorDetail { code: "not-found", message: "no such route".to_string() },
        });
    }
    if let Ok(Ok(client)) = tokio::time::timeout(std::time::Duration::from_secs(1), state.pool.get()).await {
        pathfinder_core::telemetry::gauges::refresh(&**client).await;
    }
    HttpResponse::Ok().content_type("text/plain; version=0.0.4; charset=utf-8").body(state.metrics.render())
}
