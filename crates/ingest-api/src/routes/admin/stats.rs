//! `GET /admin/stats`: counts for an operator: events (received, pending, processed, failed), seniors by seniority,
//! detections (total, last 7 days), digests by status (with the failed ones' latest errors), reports by status (with
//! the failed ones' errors).

use actix_web::{HttpRequest, HttpResponse, web};
use serde_json::{Map, Value, json};

use super::auth::require_admin;
use crate::error::ApiError;
use crate::routes::AppState;

const COUNTS: &str = "
SELECT
  (SELECT count(*) FROM events_raw),
  (SELECT count(*) FROM events_raw WHERE status = 'pending'),
  (SELECT count(*) FROM events_raw WHERE status = 'processed'),
  (SELECT count(*) FROM events_raw WHERE status = 'failed'),
  (SELECT count(*) FROM user_state WHERE seniority = 'c_suite'),
  (SELECT count(*) FROM user_state WHERE seniority = 'vp'),
  (SELECT count(*) FROM detections),
  (SELECT count(*) FROM detections WHERE detected_at > now() - interval '7 days')";

#[utoipa::path(get, path = "/admin/stats", operation_id = "adminStats", tag = "admin", security(("admin_token" = [])),
    responses((status = 200, description = "Counts", body = crate::openapi::Stats),
              (status = 401, description = "Missing or wrong token", body = crate::openapi::ErrorBody),
              (status = 404, description = "No ADMIN_TOKEN configured", body = crate::openapi::ErrorBody),
              (status = 503, description = "Database unavailable", body = crate::openapi::ErrorBody)))]
pub async fn get(request: HttpRequest, state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    require_admin(&request, state.admin_token.as_deref())?;
    let unavailable = ApiError::DatabaseUnavailable { retry_after_secs: state.retry_after_secs };
    let client = state.pool.get().await.map_err(|_| unavailable.clone())?;
    let fail = |error: tokio_postgres::Error| {
        tracing::error!(error = %error, "admin stats query failed");
        ApiError::DatabaseUnavailable { retry_after_secs: state.retry_after_secs }
    };
    let row = client.query_one(COUNTS, &[]).await.map_err(fail)?;
    let count = |i: usize| row.get::<_, i64>(i);
    let by_status = |rows: Vec<tokio_postgres::Row>| -> Value {
        Value::Object(rows.iter().map(|r| (r.get::<_, String>(0), json!(r.get::<_, i64>(1)))).collect::<Map<_, _>>())
    };
    let digests = by_status(
        client
            .query("SELECT status, count(*) FROM digests GROUP BY status ORDER BY status", &[])
            .await
            .map_err(fail)?,
    );
    let reports = by_status(
        client
            .query("SELECT status, count(*) FROM reports GROUP BY status ORDER BY status", &[])
            .await
            .map_err(fail)?,
    );
    let failed: Vec<Value> = client
        .query(
            "SELECT id, channel, attempts, last_error FROM digests WHERE status = 'failed' ORDER BY id DESC LIMIT 20",
            &[],
        )
        .await
        .map_err(fail)?
        .iter()
        .map(|r| {
            json!({"id": r.get::<_, i64>(0), "channel": r.get::<_, String>(1), "attempts": r.get::<_, i32>(2),
                   "lastError": r.get::<_, Option<String>>(3)})
        })
        .collect();
    let failed_reports: Vec<Value> = client
        .query(
            "SELECT id, to_char(month, 'YYYY-MM'), kind, attempts, last_error FROM reports WHERE status = 'failed'
             ORDER BY id DESC LIMIT 20",
            &[],
        )
        .await
        .map_err(fail)?
        .iter()
        .map(|r| {
            json!({"id": r.get::<_, i64>(0), "month": r.get::<_, String>(1), "kind": r.get::<_, String>(2),
                   "attempts": r.get::<_, i32>(3), "lastError": r.get::<_, Option<String>>(4)})
        })
        .collect();
    Ok(HttpResponse::Ok().json(json!({
        "events": {"received": count(0), "pending": count(1), "processed": count(2), "failed": count(3)},
        "seniors": {"c_suite": count(4), "vp": count(5)},
        "detections": {"total": count(6), "last7Days": count(7)},
        "digests": digests,
        "failedDigests": failed,
        "reports": reports,
        "failedReports": failed_reports,
    })))
}
