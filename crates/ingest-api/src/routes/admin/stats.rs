//! `GET /admin/stats`: counts for an operator: events (received, pending, processed, failed), seniors by seniority,
//! detections (total, last 7 days), digests by status (with the failed ones' latest errors), reports by status (with
//! the failed ones' errors). The same queries as the dashboard's ([`super::overview`]).

use actix_web::get;
use std::collections::BTreeMap;

use actix_web::{HttpRequest, HttpResponse, web};
use pathfinder_core::db::QueryError;
use serde::Serialize;
use utoipa::ToSchema;

use super::auth::require_admin;
use super::overview::{self, DetectionCounts, EventCounts, FailedDigest, FailedReport, SeniorCounts};
use crate::error::ApiError;
use crate::routes::AppState;

/// Failed digests and reports listed, newest first.
const FAILED_LISTED: i64 = 20;

/// Counts for an operator.
#[derive(Serialize, ToSchema)]
#[schema(example = json!({"events": {"received": 9, "pending": 0, "processed": 9, "failed": 0},
                          "seniors": {"c_suite": 5, "vp": 2}, "detections": {"total": 8, "last7Days": 8},
                          "digests": {"sent": 4}, "failedDigests": [], "reports": {"ready": 3},
                          "failedReports": []}))]
#[serde(rename_all = "camelCase")]
pub struct Stats {
    pub events: EventCounts,
    pub seniors: SeniorCounts,
    pub detections: DetectionCounts,
    /// Digests by status (`pending`, `sending`, `sent`, `failed`); a status with none is left out.
    pub digests: BTreeMap<String, i64>,
    /// The newest 20 digests that failed for good, with their last error.
    pub failed_digests: Vec<FailedDigest>,
    /// Reports by status (`pending`, `building`, `ready`, `failed`); a status with none is left out.
    pub reports: BTreeMap<String, i64>,
    /// The newest 20 reports that failed for good (after their retries), with their last error.
    pub failed_reports: Vec<FailedReport>,
}

#[utoipa::path(operation_id = "adminStats", tag = "admin", security(("admin_token" = [])),
    responses((status = 200, description = "Counts", body = Stats),
              (status = 401, description = "Missing or wrong token", body = crate::openapi::ErrorBody),
              (status = 404, description = "No ADMIN_TOKEN configured", body = crate::openapi::ErrorBody),
              (status = 503, description = "Database unavailable, or its schema is not this build's", body = crate::openapi::ErrorBody)))]
#[get("/admin/stats")]
pub async fn get(request: HttpRequest, state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    require_admin(&request, state.admin_token.as_deref())?;
    let client = state.client().await?;
    let stats = read(&**client).await.map_err(|e| ApiError::from_query(&e, "admin stats", state.retry_after_secs))?;
    Ok(HttpResponse::Ok().json(stats))
}

async fn read(client: &impl tokio_postgres::GenericClient) -> Result<Stats, QueryError> {
    let counts = overview::counts(client).await?;
    Ok(Stats {
        events: counts.events,
        seniors: counts.seniors,
        detections: counts.detections,
        digests: overview::digests_by_status(client).await?,
        failed_digests: overview::failed_digests(client, FAILED_LISTED).await?,
        reports: overview::reports_by_status(client).await?,
        failed_reports: overview::failed_reports(client, FAILED_LISTED).await?,
    })
}
