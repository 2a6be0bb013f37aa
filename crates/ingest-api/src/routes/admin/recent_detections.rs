//! `GET /admin/recent-detections?limit=N` (1..=1000, default 50): the newest detections first, as
//! `{"id","source","userId","username","title","seniority","previousSeniority","kind","detectedAt"}`.

use actix_web::{HttpRequest, HttpResponse, web};
use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::json;

use super::auth::require_admin;
use crate::error::ApiError;
use crate::routes::AppState;

const DEFAULT_LIMIT: i64 = 50;
const MAX_LIMIT: i64 = 1000;

const RECENT: &str = "
SELECT id, user_id, username, title, seniority, previous_seniority, kind, detected_at, source
FROM detections ORDER BY detected_at DESC, id DESC LIMIT $1";

#[utoipa::path(get, path = "/admin/recent-detections", operation_id = "adminRecentDetections", tag = "admin", security(("admin_token" = [])),
    params(("limit" = Option<i64>, Query, minimum = 1, maximum = 1000, description = "How many (default 50)")),
    responses((status = 200, description = "Newest first", body = Vec<crate::openapi::RecentDetection>),
              (status = 401, description = "Missing or wrong token", body = crate::openapi::ErrorBody),
              (status = 404, description = "No ADMIN_TOKEN configured", body = crate::openapi::ErrorBody),
              (status = 422, description = "limit outside 1..1000, or an unknown parameter", body = crate::openapi::ErrorBody),
              (status = 503, description = "Database unavailable", body = crate::openapi::ErrorBody)))]
pub async fn get(request: HttpRequest, state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    require_admin(&request, state.admin_token.as_deref())?;
    let limit = parse_limit(request.query_string())?;
    let unavailable = ApiError::DatabaseUnavailable { retry_after_secs: state.retry_after_secs };
    let client = state.pool.get().await.map_err(|_| unavailable.clone())?;
    let rows = client.query(RECENT, &[&limit]).await.map_err(|error| {
        tracing::error!(error = %error, "admin: recent detections query failed");
        unavailable
    })?;
    let detections: Vec<serde_json::Value> = rows
        .iter()
        .map(|r| {
            json!({
                "id": r.get::<_, i64>(0),
                "source": r.get::<_, String>(8),
                "userId": r.get::<_, String>(1),
                "username": r.get::<_, Option<String>>(2),
                "title": r.get::<_, String>(3),
                "seniority": r.get::<_, String>(4),
                "previousSeniority": r.get::<_, Option<String>>(5),
                "kind": r.get::<_, String>(6),
                "detectedAt": r.get::<_, DateTime<Utc>>(7).to_rfc3339_opts(SecondsFormat::Millis, true),
            })
        })
        .collect();
    Ok(HttpResponse::Ok().json(detections))
}

/// `limit` must be a whole number from 1 to 1000; anything else (or an unknown parameter) is a 422 naming it.
fn parse_limit(query: &str) -> Result<i64, ApiError> {
    let mut limit = DEFAULT_LIMIT;
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        match key {
            "limit" => {
                limit = value.parse::<i64>().ok().filter(|n| (1..=MAX_LIMIT).contains(n)).ok_or_else(|| {
                    ApiError::InvalidField(format!("limit must be a whole number from 1 to {MAX_LIMIT}"))
                })?;
            }
            other => return Err(ApiError::InvalidField(format!("unknown query parameter {other:?}"))),
        }
    }
    Ok(limit)
}

#[cfg(test)]
mod tests {
    use super::parse_limit;

    #[test]
    fn limits_are_validated() {
        assert_eq!(parse_limit("").ok(), Some(50));
        assert_eq!(parse_limit("limit=1").ok(), Some(1));
        assert_eq!(parse_limit("limit=1000").ok(), Some(1000));
        for bad in [
            "limit=0",
            "limit=1001",
            "limit=-5",
            "limit=ten",
            "limit=",
            "limit=1e3",
            "sort=asc",
            "limit=99999999999999999999",
        ] {
            assert!(parse_limit(bad).is_err(), "{bad}");
        }
    }
}
