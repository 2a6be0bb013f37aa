//! An endpoint's deliveries with their attempts (`GET /admin/endpoints/{id}/deliveries?status=S&limit=N`) and a
//! manual resend (`POST /admin/outbound-deliveries/{id}/resend`), as `pathfinder endpoints deliveries|resend`.

use actix_web::{HttpRequest, HttpResponse, get, post, web};
use pathfinder_core::outbound::deliveries;
use serde_json::json;

use super::endpoints::admin_transaction;
use crate::error::ApiError;
use crate::routes::AppState;

const STATUSES: [&str; 4] = ["pending", "delivering", "delivered", "failed"];

#[utoipa::path(operation_id = "adminEndpointDeliveries", tag = "admin", security(("admin_token" = [])),
    params(("id" = i64, Path, description = "The endpoint's id"),
           ("status" = Option<String>, Query, description = "pending, delivering, delivered or failed"),
           ("limit" = Option<i64>, Query, minimum = 1, maximum = 1000, description = "How many (default 20)")),
    responses((status = 200, description = "Newest first, each with its attempts", body = Vec<deliveries::Delivery>),
              (status = 401, description = "Missing or wrong token", body = crate::openapi::ErrorBody),
              (status = 404, description = "No such endpoint (endpoint-not-found), or no ADMIN_TOKEN configured", body = crate::openapi::ErrorBody),
              (status = 422, description = "A bad status or limit, or an unknown parameter", body = crate::openapi::ErrorBody),
              (status = 503, description = "Database unavailable", body = crate::openapi::ErrorBody)))]
#[get("/admin/endpoints/{id}/deliveries")]
pub async fn list(
    request: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    let id = path.into_inner();
    let (status, limit) = parse_query(request.query_string())?;
    let listed =
        admin_transaction(&request, &state, async |tx, _| deliveries::list(tx, id, status.as_deref(), limit).await)
            .await?;
    Ok(HttpResponse::Ok().json(listed))
}

#[utoipa::path(operation_id = "adminResendDelivery", tag = "admin", security(("admin_token" = [])),
    params(("id" = i64, Path, description = "The delivery's id")),
    responses((status = 202, description = "Queued again, with the same webhook-id and body", body = crate::openapi::DeliveryResent),
              (status = 401, description = "Missing or wrong token", body = crate::openapi::ErrorBody),
              (status = 404, description = "No such delivery (delivery-not-found), or no ADMIN_TOKEN configured", body = crate::openapi::ErrorBody),
              (status = 409, description = "The endpoint is disabled (endpoint-disabled)", body = crate::openapi::ErrorBody),
              (status = 503, description = "Database unavailable", body = crate::openapi::ErrorBody)))]
#[post("/admin/outbound-deliveries/{id}/resend")]
pub async fn resend(
    request: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    let id = path.into_inner();
    let was = admin_transaction(&request, &state, async |tx, actor| deliveries::resend(tx, id, actor).await).await?;
    Ok(HttpResponse::Accepted().json(json!({"status": "queued", "wasStatus": was})))
}

fn parse_query(query: &str) -> Result<(Option<String>, i64), ApiError> {
    let (mut status, mut limit) = (None, 20_i64);
    for (key, value) in form_urlencoded::parse(query.as_bytes()) {
        match key.as_ref() {
            "status" if STATUSES.contains(&value.as_ref()) => status = Some(value.into_owned()),
            "status" => return Err(ApiError::InvalidField(format!("status must be one of {}", STATUSES.join(", ")))),
            "limit" => {
                limit = value
                    .parse::<i64>()
                    .ok()
                    .filter(|n| (1..=1000).contains(n))
                    .ok_or_else(|| ApiError::InvalidField("limit must be a whole number from 1 to 1000".into()))?;
            }
            _ => return Err(ApiError::InvalidField(format!("unknown parameter {key:?}"))),
        }
    }
    Ok((status, limit))
}
