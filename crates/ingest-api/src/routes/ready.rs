//! `GET /ready`: the database answers and its schema is current; otherwise 503 with the reason.

use actix_web::get;
use std::time::Duration;

use actix_web::{HttpResponse, web};
use pathfinder_core::migrations;

use crate::openapi::Status;

use super::AppState;

const CHECK_TIMEOUT: Duration = Duration::from_secs(2);

/// The database answers and its schema is current.
#[utoipa::path(operation_id = "ready", tag = "service",
    responses((status = 200, description = "Ready", body = crate::openapi::Status),
              (status = 503, description = "Database unreachable or schema behind", body = crate::openapi::Status)))]
#[get("/ready")]
pub async fn get(state: web::Data<AppState>) -> HttpResponse {
    match tokio::time::timeout(CHECK_TIMEOUT, check(&state)).await {
        Ok(Ok(())) => HttpResponse::Ok().json(Status { status: "ready", reason: None }),
        Ok(Err(reason)) => not_ready(state.retry_after_secs, &reason),
        Err(_) => not_ready(state.retry_after_secs, "database check timed out"),
    }
}

async fn check(state: &AppState) -> Result<(), String> {
    let client = state.pool.get().await.map_err(|_| "database unavailable".to_string())?;
    migrations::ensure_current(&client).await.map_err(|e| match e {
        migrations::SchemaError::Behind { .. } => e.to_string(),
        migrations::SchemaError::Database(_) => "database unavailable".to_string(),
    })
}

fn not_ready(retry_after_secs: u64, reason: &str) -> HttpResponse {
    HttpResponse::ServiceUnavailable()
        .insert_header(("Retry-After", retry_after_secs.to_string()))
        .json(Status { status: "unavailable", reason: Some(reason.to_string()) })
}
