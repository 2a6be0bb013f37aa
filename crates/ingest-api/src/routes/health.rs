//! `GET /health`: the process is alive (no database check: that is `/ready`).

use actix_web::HttpResponse;
use actix_web::get;

#[utoipa::path(operation_id = "health", tag = "service",
    responses((status = 200, description = "The process runs", body = crate::openapi::Status)))]
#[get("/health")]
pub async fn get() -> HttpResponse {
    HttpResponse::Ok().json(crate::openapi::Status { status: "ok", reason: None })
}
