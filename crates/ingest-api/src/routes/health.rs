//! `GET /health`: the process is alive (no database check: that is `/ready`).

use actix_web::HttpResponse;
use serde_json::json;

pub async fn get() -> HttpResponse {
    HttpResponse::Ok().json(json!({"status": "ok"}))
}
