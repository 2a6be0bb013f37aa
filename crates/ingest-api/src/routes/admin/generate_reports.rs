//! `POST /admin/generate-reports`: queue a month-to-date report (report-builder, woken by the new row, builds it).

use actix_web::post;
use actix_web::{HttpRequest, HttpResponse, web};
use chrono::{Datelike, Utc};
use pathfinder_core::db::{QueryError, RowExt};
use serde_json::json;

use super::auth::require_admin;
use crate::error::ApiError;
use crate::routes::AppState;

const QUEUE: &str = "
INSERT INTO reports (month, kind, status, period_start, period_end)
VALUES ($1, 'month_to_date', 'pending', $2, now()) RETURNING id";

#[utoipa::path(operation_id = "adminGenerateReports", tag = "admin", security(("admin_token" = [])),
    responses((status = 202, description = "A month-to-date report is queued", body = crate::openapi::ReportQueued),
              (status = 401, description = "Missing or wrong token", body = crate::openapi::ErrorBody),
              (status = 404, description = "No ADMIN_TOKEN configured", body = crate::openapi::ErrorBody),
              (status = 503, description = "Database unavailable", body = crate::openapi::ErrorBody)))]
#[post("/admin/generate-reports")]
pub async fn post(request: HttpRequest, state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    require_admin(&request, state.admin_token.as_deref())?;
    let (id, month) = queue_report(&state, &state.admin_label).await?;
    Ok(HttpResponse::Accepted().json(crate::openapi::ReportQueued { status: "queued", report_id: id, month }))
}

/// Queues a month-to-date report (also the dashboard's button); returns its id and month.
pub async fn queue_report(state: &AppState, actor: &str) -> Result<(i64, String), ApiError> {
    let now = Utc::now().with_timezone(&state.tz);
    let first_day = now.date_naive().with_day(1).unwrap_or(now.date_naive());
    let start = pathfinder_core::schedule::resolve_local(state.tz, first_day.and_time(chrono::NaiveTime::MIN))
        .with_timezone(&Utc);
    let client = state.client().await?;
    let queued = async { Ok::<i64, QueryError>(client.query_one(QUEUE, &[&first_day, &start]).await?.column("id")?) };
    let id = queued
        .await
        .map_err(|error| ApiError::from_query(&error, "admin: queueing a report", state.retry_after_secs))?;
    let month = first_day.format("%Y-%m").to_string();
    tracing::info!(report_id = id, "admin: month-to-date report queued");
    super::record_action(state, actor, "admin.generate-report", &json!({"reportId": id, "month": month})).await;
    Ok((id, month))
}
