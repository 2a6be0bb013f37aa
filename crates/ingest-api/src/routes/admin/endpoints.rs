//! Outbound webhook endpoints (`pathfinder_core::outbound`), as `pathfinder endpoints` manages them:
//! `GET /admin/endpoints`, `POST /admin/endpoints` (answers the `whsec_` secret, the only time it is shown),
//! `DELETE /admin/endpoints/{id}`, `POST /admin/endpoints/{id}/rotate-secret`, `POST /admin/endpoints/{id}/enable`.

use actix_web::{HttpRequest, HttpResponse, delete, get, post, web};
use pathfinder_core::outbound::endpoints::{self, NewEndpoint};
use pathfinder_core::outbound::{EventType, OutboundError};
use serde::Deserialize;
use serde_json::json;
use utoipa::ToSchema;

use super::auth::require_admin;
use crate::error::ApiError;
use crate::routes::AppState;

/// `POST /admin/endpoints` body.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"url": "https://hooks.zapier.com/hooks/catch/123/abc/", "events": ["detection.created"],
                          "description": "Zapier: new seniors to HubSpot"}))]
pub struct NewEndpointBody {
    /// http(s) URL; every address of its host must be public unless PATHFINDER_OUTBOUND__ALLOW_PRIVATE_TARGETS.
    #[schema(max_length = 2048)]
    pub url: String,
    /// Event types (default: every one).
    #[serde(default)]
    pub events: Vec<EventType>,
    #[serde(default)]
    #[schema(max_length = 500)]
    pub description: String,
}

/// The admin API's answer for an outbound error (a database failure is a 503 with Retry-After).
pub fn api_error(state: &AppState, error: OutboundError) -> ApiError {
    match error {
        OutboundError::Database(error) => {
            tracing::error!(error = %error, "admin: outbound endpoints query failed");
            ApiError::DatabaseUnavailable { retry_after_secs: state.retry_after_secs }
        }
        OutboundError::Drift(error) => {
            tracing::error!(error = %error, "admin: outbound endpoints query failed");
            ApiError::SchemaDrift { retry_after_secs: state.retry_after_secs }
        }
        other => ApiError::Outbound { code: other.code(), status: other.http_status(), message: other.to_string() },
    }
}

/// Checks the admin token, then runs `work(tx, actor)` in one transaction and commits it.
pub async fn admin_transaction<T, F>(request: &HttpRequest, state: &AppState, work: F) -> Result<T, ApiError>
where
    F: for<'a, 'b> AsyncFnOnce(&'a tokio_postgres::Transaction<'b>, &'a str) -> Result<T, OutboundError>,
{
    require_admin(request, state.admin_token.as_deref())?;
    let unavailable = ApiError::DatabaseUnavailable { retry_after_secs: state.retry_after_secs };
    let mut client = state.pool.get().await.map_err(|_| unavailable.clone())?;
    let tx = client.transaction().await.map_err(|_| unavailable.clone())?;
    let value = work(&tx, &state.admin_label).await.map_err(|e| api_error(state, e))?;
    tx.commit().await.map_err(|_| unavailable)?;
    Ok(value)
}

#[utoipa::path(operation_id = "adminListEndpoints", tag = "admin", security(("admin_token" = [])),
    responses((status = 200, description = "Every endpoint (never its secret)", body = Vec<endpoints::Endpoint>),
              (status = 401, description = "Missing or wrong token", body = crate::openapi::ErrorBody),
              (status = 404, description = "No ADMIN_TOKEN configured", body = crate::openapi::ErrorBody),
              (status = 503, description = "Database unavailable", body = crate::openapi::ErrorBody)))]
#[get("/admin/endpoints")]
pub async fn list(request: HttpRequest, state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let all = admin_transaction(&request, &state, async |tx, _| Ok(endpoints::list(tx).await?)).await?;
    Ok(HttpResponse::Ok().json(all))
}

#[utoipa::path(operation_id = "adminAddEndpoint", tag = "admin", security(("admin_token" = [])),
    request_body(content = NewEndpointBody, content_type = "application/json"),
    responses((status = 201, description = "Added; `secret` is shown this once", body = endpoints::WithSecret),
              (status = 400, description = "Not JSON", body = crate::openapi::ErrorBody),
              (status = 401, description = "Missing or wrong token", body = crate::openapi::ErrorBody),
              (status = 404, description = "No ADMIN_TOKEN configured", body = crate::openapi::ErrorBody),
              (status = 422, description = "invalid-endpoint-url, private-target-refused, unresolvable-target, unknown-event-type, invalid-description", body = crate::openapi::ErrorBody),
              (status = 503, description = "Database unavailable", body = crate::openapi::ErrorBody)))]
#[post("/admin/endpoints")]
pub async fn add(request: HttpRequest, state: web::Data<AppState>, body: web::Bytes) -> Result<HttpResponse, ApiError> {
    require_admin(&request, state.admin_token.as_deref())?;
    let new: NewEndpointBody = serde_json::from_slice(&body).map_err(|e| {
        if e.is_syntax() || e.is_eof() {
            ApiError::MalformedJson(e.to_string())
        } else {
            ApiError::InvalidField(e.to_string())
        }
    })?;
    let events = new.events.iter().map(|e| e.as_str()).collect::<Vec<_>>().join(",");
    let allow_private = state.allow_private_targets;
    let added = admin_transaction(&request, &state, async |tx, actor| {
        let endpoint = NewEndpoint { url: &new.url, events: &events, description: &new.description };
        endpoints::add(tx, &endpoint, allow_private, actor).await
    })
    .await?;
    tracing::info!(endpoint_id = added.endpoint.id, "admin: outbound endpoint added");
    Ok(HttpResponse::Created().json(added))
}

#[utoipa::path(operation_id = "adminRemoveEndpoint", tag = "admin", security(("admin_token" = [])),
    params(("id" = i64, Path, description = "The endpoint's id")),
    responses((status = 200, description = "Removed with its deliveries", body = crate::openapi::EndpointRemoved),
              (status = 401, description = "Missing or wrong token", body = crate::openapi::ErrorBody),
              (status = 404, description = "No such endpoint (endpoint-not-found), or no ADMIN_TOKEN configured", body = crate::openapi::ErrorBody),
              (status = 503, description = "Database unavailable", body = crate::openapi::ErrorBody)))]
#[delete("/admin/endpoints/{id}")]
pub async fn remove(
    request: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    let id = path.into_inner();
    let deleted = admin_transaction(&request, &state, async |tx, actor| endpoints::remove(tx, id, actor).await).await?;
    Ok(HttpResponse::Ok().json(json!({"status": "removed", "deliveriesDeleted": deleted})))
}

#[utoipa::path(operation_id = "adminRotateEndpointSecret", tag = "admin", security(("admin_token" = [])),
    params(("id" = i64, Path, description = "The endpoint's id")),
    responses((status = 200, description = "The new secret, shown this once; the previous one signs for 24 more hours", body = endpoints::WithSecret),
              (status = 401, description = "Missing or wrong token", body = crate::openapi::ErrorBody),
              (status = 404, description = "No such endpoint (endpoint-not-found), or no ADMIN_TOKEN configured", body = crate::openapi::ErrorBody),
              (status = 503, description = "Database unavailable", body = crate::openapi::ErrorBody)))]
#[post("/admin/endpoints/{id}/rotate-secret")]
pub async fn rotate_secret(
    request: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    let id = path.into_inner();
    let rotated =
        admin_transaction(&request, &state, async |tx, actor| endpoints::rotate_secret(tx, id, actor).await).await?;
    Ok(HttpResponse::Ok().json(rotated))
}

#[utoipa::path(operation_id = "adminEnableEndpoint", tag = "admin", security(("admin_token" = [])),
    params(("id" = i64, Path, description = "The endpoint's id")),
    responses((status = 200, description = "Enabled; its waiting deliveries go out now", body = endpoints::Endpoint),
              (status = 401, description = "Missing or wrong token", body = crate::openapi::ErrorBody),
              (status = 404, description = "No such endpoint (endpoint-not-found), or no ADMIN_TOKEN configured", body = crate::openapi::ErrorBody),
              (status = 503, description = "Database unavailable", body = crate::openapi::ErrorBody)))]
#[post("/admin/endpoints/{id}/enable")]
pub async fn enable(
    request: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    let id = path.into_inner();
    let enabled = admin_transaction(&request, &state, async |tx, actor| endpoints::enable(tx, id, actor).await).await?;
    Ok(HttpResponse::Ok().json(enabled))
}
