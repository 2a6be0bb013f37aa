//! `GET /admin/audit?since=RFC3339&kind=K&limit=N`: the audit log, newest first (limit 1..=1000, default 100).
//! `kind` is an exact kind (`digest.delivery`) or a family (`digest`).

use actix_web::get;
use actix_web::{HttpRequest, HttpResponse, web};
use chrono::{DateTime, Utc};
use pathfinder_core::privacy::{AuditFilter, audit};

use super::auth::require_admin;
use crate::error::ApiError;
use crate::routes::AppState;

const DEFAULT_LIMIT: i64 = 100;
const MAX_LIMIT: i64 = 1000;

#[utoipa::path(operation_id = "adminAudit", tag = "admin", security(("admin_token" = [])),
    params(("since" = Option<String>, Query, format = DateTime, description = "Only entries at or after this instant (RFC 3339)"),
           ("kind" = Option<String>, Query, max_length = 64, description = "An exact kind (member.erased) or a family (digest)"),
           ("limit" = Option<i64>, Query, minimum = 1, maximum = 1000, description = "How many (default 100)")),
    responses((status = 200, description = "Newest first", body = Vec<pathfinder_core::privacy::audit::AuditEntry>),
              (status = 401, description = "Missing or wrong token", body = crate::openapi::ErrorBody),
              (status = 404, description = "No ADMIN_TOKEN configured", body = crate::openapi::ErrorBody),
              (status = 422, description = "A bad since, kind or limit, or an unknown parameter", body = crate::openapi::ErrorBody),
              (status = 503, description = "Database unavailable", body = crate::openapi::ErrorBody)))]
#[get("/admin/audit")]
pub async fn get(request: HttpRequest, state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    require_admin(&request, state.admin_token.as_deref())?;
    let filter = parse_filter(request.query_string())?;
    let unavailable = ApiError::DatabaseUnavailable { retry_after_secs: state.retry_after_secs };
    let client = state.pool.get().await.map_err(|_| unavailable.clone())?;
    let entries = audit::list(&**client, &filter).await.map_err(|error| {
        tracing::error!(error = %error, "admin: audit query failed");
        unavailable
    })?;
    Ok(HttpResponse::Ok().json(entries))
}

fn parse_filter(query: &str) -> Result<AuditFilter, ApiError> {
    let mut filter = AuditFilter { since: None, kind: None, limit: DEFAULT_LIMIT };
    for (key, value) in form_urlencoded::parse(query.as_bytes()) {
        let value = value.into_owned();
        match key.as_ref() {
            "since" => {
                let since = DateTime::parse_from_rfc3339(&value)
                    .map_err(|_| ApiError::InvalidField("since must be an RFC 3339 instant".into()))?;
                filter.since = Some(since.with_timezone(&Utc));
            }
            "kind" => {
                let valid = !value.is_empty()
                    && value.len() <= 64
                    && value.chars().all(|c| c.is_ascii_lowercase() || c == '.' || c == '-');
                if !valid {
                    return Err(ApiError::InvalidField("kind must be 1 to 64 of a-z . -".into()));
                }
                filter.kind = Some(value);
            }
            "limit" => {
                filter.limit = value.parse::<i64>().ok().filter(|n| (1..=MAX_LIMIT).contains(n)).ok_or_else(|| {
                    ApiError::InvalidField(format!("limit must be a whole number from 1 to {MAX_LIMIT}"))
                })?;
            }
            _ => return Err(ApiError::InvalidField(format!("unknown parameter {key:?}"))),
        }
    }
    Ok(filter)
}
