//! `GET /admin/digest-requests/{id}`: how a manual digest run queued by `POST /admin/send-digests` went: `pending`
//! (digest-sender has not built it yet, or retries it), `done` with the digests built per channel, or `failed` with
//! its last error.

use actix_web::get;
use actix_web::{HttpRequest, HttpResponse, web};
use chrono::{DateTime, SecondsFormat, Utc};
use pathfinder_core::db::{QueryError, RowExt};
use serde::Serialize;
use tokio_postgres::Row;
use utoipa::ToSchema;

use super::auth::require_admin;
use crate::error::ApiError;
use crate::routes::AppState;

const READ: &str = "
SELECT id, status, requested_by, requested_at, attempts, last_error, summary, completed_at
FROM digest_requests WHERE id = $1";

/// A manual digest run.
#[derive(Serialize, ToSchema)]
#[schema(example = json!({"id": 7, "status": "done", "requestedBy": "admin-token", "requestedAt": "2026-11-27T15:00:00.000Z",
                          "attempts": 1, "lastError": null,
                          "digests": {"email": {"digests": 1, "detections": 3}, "teams": {"digests": 1, "detections": 3}},
                          "completedAt": "2026-11-27T15:00:01.250Z"}))]
#[serde(rename_all = "camelCase")]
pub struct DigestRequest {
    pub id: i64,
    /// `pending`, `done` or `failed`.
    pub status: String,
    /// The admin token's label (`PATHFINDER_ADMIN__TOKEN_LABEL`); `(dashboard)` added for the dashboard's button.
    pub requested_by: String,
    pub requested_at: String,
    /// Builds tried (a failed build is retried after 1, 2, 4, 8 minutes; `failed` after 5).
    pub attempts: i32,
    pub last_error: Option<String>,
    /// Once `done`: per channel, the digests built and the detections they carry.
    #[schema(value_type = Option<Object>)]
    pub digests: Option<serde_json::Value>,
    pub completed_at: Option<String>,
}

impl DigestRequest {
    fn from_row(row: &Row) -> Result<Self, QueryError> {
        let instant = |at: DateTime<Utc>| at.to_rfc3339_opts(SecondsFormat::Millis, true);
        Ok(Self {
            id: row.column("id")?,
            status: row.column("status")?,
            requested_by: row.column("requested_by")?,
            requested_at: instant(row.column("requested_at")?),
            attempts: row.column("attempts")?,
            last_error: row.column("last_error")?,
            digests: row.column("summary")?,
            completed_at: row.column::<Option<DateTime<Utc>>>("completed_at")?.map(instant),
        })
    }
}

#[utoipa::path(operation_id = "adminDigestRequest", tag = "admin", security(("admin_token" = [])),
    params(("id" = i64, Path, description = "The requestId `POST /admin/send-digests` answered")),
    responses((status = 200, description = "The run's status", body = DigestRequest),
              (status = 401, description = "Missing or wrong token", body = crate::openapi::ErrorBody),
              (status = 404, description = "No such request, or no ADMIN_TOKEN configured", body = crate::openapi::ErrorBody),
              (status = 503, description = "Database unavailable", body = crate::openapi::ErrorBody)))]
#[get("/admin/digest-requests/{id}")]
pub async fn get(
    request: HttpRequest,
    state: web::Data<AppState>,
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    require_admin(&request, state.admin_token.as_deref())?;
    let client = state.client().await?;
    let read = async {
        match client.query_opt(READ, &[&id.into_inner()]).await? {
            Some(row) => DigestRequest::from_row(&row).map(Some),
            None => Ok(None),
        }
    };
    let found = read
        .await
        .map_err(|error| ApiError::from_query(&error, "admin: reading a digest request", state.retry_after_secs))?;
    Ok(HttpResponse::Ok().json(found.ok_or(ApiError::NoSuch("digest request"))?))
}
