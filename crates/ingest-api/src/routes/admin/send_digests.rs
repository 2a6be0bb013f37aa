//! `POST /admin/send-digests`: queue a manual digest run (a `digest_requests` row) that digest-sender, woken by the
//! new row, carries out: it builds digests from every detection not yet in one and delivers them. Answers 202 with
//! the request's id once the row is committed; `GET /admin/digest-requests/{id}` tells how it went.

use actix_web::post;
use actix_web::{HttpRequest, HttpResponse, web};
use pathfinder_core::db::{QueryError, RowExt};
use serde::Serialize;
use serde_json::json;
use utoipa::ToSchema;

use super::auth::require_admin;
use crate::error::ApiError;
use crate::routes::AppState;

const QUEUE: &str = "INSERT INTO digest_requests (requested_by) VALUES ($1) RETURNING id";

/// A manual digest run queued for digest-sender (202).
#[derive(Serialize, ToSchema)]
#[schema(example = json!({"status": "queued", "requestId": 7}))]
#[serde(rename_all = "camelCase")]
pub struct DigestRunQueued {
    /// Always `queued`.
    pub status: &'static str,
    /// Read its progress at `GET /admin/digest-requests/{requestId}`.
    pub request_id: i64,
}

#[utoipa::path(operation_id = "adminSendDigests", tag = "admin", security(("admin_token" = [])),
    responses((status = 202, description = "A manual digest run is queued; digest-sender builds and delivers the digests", body = DigestRunQueued),
              (status = 401, description = "Missing or wrong token", body = crate::openapi::ErrorBody),
              (status = 404, description = "No ADMIN_TOKEN configured", body = crate::openapi::ErrorBody),
              (status = 503, description = "Database unavailable", body = crate::openapi::ErrorBody)))]
#[post("/admin/send-digests")]
pub async fn post(request: HttpRequest, state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    require_admin(&request, state.admin_token.as_deref())?;
    let request_id = queue_digests(&state, &state.admin_label).await?;
    Ok(HttpResponse::Accepted().json(DigestRunQueued { status: "queued", request_id }))
}

/// Queues a manual digest run (also the dashboard's button); `actor` is recorded on the request and in the audit
/// log. Returns the request's id.
pub async fn queue_digests(state: &AppState, actor: &str) -> Result<i64, ApiError> {
    let client = state.client().await?;
    let queued = async { Ok::<i64, QueryError>(client.query_one(QUEUE, &[&actor]).await?.column("id")?) };
    let id = queued
        .await
        .map_err(|error| ApiError::from_query(&error, "admin: queueing a digest run", state.retry_after_secs))?;
    tracing::info!(request_id = id, "admin: manual digest run queued");
    super::record_action(state, actor, "admin.send-digests", &json!({"requestId": id})).await;
    Ok(id)
}
