//! `POST /admin/send-digests`: build digests now from every detection not yet in one (digest-sender, woken by the
//! new rows, delivers them). Answers 202 with what was queued once the build is committed.

use actix_web::{HttpRequest, HttpResponse, web};
use pathfinder_core::jobs::Trigger;
use pathfinder_core::jobs::scheduler::{RunOutcome, run_once};
use pathfinder_core::schedule::{self, Job};
use serde_json::json;

use super::auth::require_admin;
use crate::error::ApiError;
use crate::routes::AppState;

#[utoipa::path(post, path = "/admin/send-digests", operation_id = "adminSendDigests", tag = "admin", security(("admin_token" = [])),
    responses((status = 202, description = "Digests built; digest-sender delivers them", body = crate::openapi::DigestsQueued),
              (status = 401, description = "Missing or wrong token", body = crate::openapi::ErrorBody),
              (status = 404, description = "No ADMIN_TOKEN configured", body = crate::openapi::ErrorBody),
              (status = 503, description = "Database unavailable", body = crate::openapi::ErrorBody)))]
pub async fn post(request: HttpRequest, state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    require_admin(&request, state.admin_token.as_deref())?;
    let summary = queue_digests(&state, &state.admin_label).await?;
    Ok(HttpResponse::Accepted().json(json!({"status": "queued", "digests": summary})))
}

/// Builds digests now from every detection not yet in one (also the dashboard's button); `actor` is recorded in
/// the audit log.
pub async fn queue_digests(state: &AppState, actor: &str) -> Result<serde_json::Value, ApiError> {
    let job = digest_sender::weekly::WeeklyDigestJob { channels: state.digest_channels.clone() };
    let week = schedule::period_containing(Job::WeeklyDigest, state.tz, chrono::Utc::now());
    match run_once(&state.pool, &job, &week, Trigger::Manual).await {
        Ok(RunOutcome::Ran(summary)) => {
            tracing::info!(summary = %summary, "admin: digests queued");
            super::record_action(state, actor, "admin.send-digests", &summary).await;
            Ok(summary)
        }
        Ok(RunOutcome::AlreadyRun) => Ok(json!({})),
        Err(error) => {
            tracing::error!(error = %format!("{error:#}"), "admin: digest build failed");
            Err(ApiError::DatabaseUnavailable { retry_after_secs: state.retry_after_secs })
        }
    }
}
