//! `GET /admin/recent-detections?limit=N` (1..=1000, default 50): the newest detections first, as
//! `{"id","source","userId","username","title","seniority","previousSeniority","kind","detectedAt"}`.

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

const DEFAULT_LIMIT: i64 = 50;
const MAX_LIMIT: i64 = 1000;

/// One detection, newest first.
#[derive(Serialize, ToSchema)]
#[schema(example = json!({"id": 2, "source": "community", "userId": "42", "username": "ada", "title": "Chief Executive Officer",
                          "seniority": "c_suite", "previousSeniority": "vp", "kind": "promotion",
                          "detectedAt": "2026-11-21T10:00:00.000Z"}))]
#[serde(rename_all = "camelCase")]
pub struct RecentDetection {
    pub id: i64,
    /// The member's platform: `community` or `discourse` (the same userId on two sources is two members).
    pub source: String,
    pub user_id: String,
    pub username: Option<String>,
    pub title: String,
    /// `c_suite` or `vp`.
    pub seniority: String,
    pub previous_seniority: Option<String>,
    /// `new` or `promotion`.
    pub kind: String,
    pub detected_at: String,
}

impl RecentDetection {
    fn from_row(row: &Row) -> Result<Self, QueryError> {
        Ok(Self {
            id: row.column("id")?,
            source: row.column("source")?,
            user_id: row.column("user_id")?,
            username: row.column("username")?,
            title: row.column("title")?,
            seniority: row.column("seniority")?,
            previous_seniority: row.column("previous_seniority")?,
            kind: row.column("kind")?,
            detected_at: row.column::<DateTime<Utc>>("detected_at")?.to_rfc3339_opts(SecondsFormat::Millis, true),
        })
    }
}

const RECENT: &str = "
SELECT id, user_id, username, title, seniority, previous_seniority, kind, detected_at, source
FROM detections ORDER BY detected_at DESC, id DESC LIMIT $1";

#[utoipa::path(operation_id = "adminRecentDetections", tag = "admin", security(("admin_token" = [])),
    params(("limit" = Option<i64>, Query, minimum = 1, maximum = 1000, description = "How many (default 50)")),
    responses((status = 200, description = "Newest first", body = Vec<RecentDetection>),
              (status = 401, description = "Missing or wrong token", body = crate::openapi::ErrorBody),
              (status = 404, description = "No ADMIN_TOKEN configured", body = crate::openapi::ErrorBody),
              (status = 422, description = "limit outside 1..1000, or an unknown parameter", body = crate::openapi::ErrorBody),
              (status = 503, description = "Database unavailable", body = crate::openapi::ErrorBody)))]
#[get("/admin/recent-detections")]
pub async fn get(request: HttpRequest, state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    require_admin(&request, state.admin_token.as_deref())?;
    let limit = parse_limit(request.query_string())?;
    let client = state.client().await?;
    let read = async {
        client.query(RECENT, &[&limit]).await?.iter().map(RecentDetection::from_row).collect::<Result<Vec<_>, _>>()
    };
    let detections =
        read.await.map_err(|error| ApiError::from_query(&error, "admin: recent detections", state.retry_after_secs))?;
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
