//! `POST /webhooks/community`: the generic seed JSON.

use actix_web::http::header::HeaderMap;
use actix_web::post;
use actix_web::{HttpRequest, HttpResponse, web};

use super::AppState;
use super::respond::receive;
use crate::error::ApiError;
use crate::payload::community;

/// A profile field changed (the generic seed format).
///
/// Stored once per delivery (sender's `webhook-id` / `X-GitHub-Delivery`, else a hash of the body within the dedupe
/// window); 202 `{"status":"ignored"}` when the field is not a registered job-title field.
#[utoipa::path(operation_id = "receiveCommunityWebhook", tag = "webhooks",
    request_body(content = crate::openapi::CommunityWebhook, content_type = "application/json"),
    params(
        ("webhook-id" = Option<String>, Header, description = "Standard Webhooks delivery id (also the dedupe key)"),
        ("webhook-timestamp" = Option<String>, Header, description = "Standard Webhooks Unix timestamp"),
        ("webhook-signature" = Option<String>, Header, description = "Standard Webhooks `v1,<base64>` signatures"),
        ("X-Hub-Signature-256" = Option<String>, Header, description = "GitHub-style `sha256=<hex>` signature"),
        ("X-GitHub-Delivery" = Option<String>, Header, description = "GitHub-style delivery id (dedupe key)"),
    ),
    responses(
        (status = 202, description = "Stored and committed (`accepted`, with eventId), or `ignored`", body = crate::openapi::WebhookAnswer),
        (status = 200, description = "The same delivery again: nothing new stored", body = crate::openapi::WebhookAnswer),
        (status = 400, description = "Malformed JSON, or a body that never finished arriving", body = crate::openapi::ErrorBody),
        (status = 401, description = "Missing, invalid or stale signature (when WEBHOOK_SECRETS is set)", body = crate::openapi::ErrorBody),
        (status = 413, description = "Body larger than 64 KiB", body = crate::openapi::ErrorBody),
        (status = 415, description = "Content-Type is not application/json", body = crate::openapi::ErrorBody),
        (status = 422, description = "A field is missing, of the wrong type, too long or holds NUL", body = crate::openapi::ErrorBody),
        (status = 503, description = "Database unavailable; retry after Retry-After seconds", body = crate::openapi::ErrorBody),
    ))]
#[post("/webhooks/community")]
pub async fn post(
    request: HttpRequest,
    payload: web::Payload,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let verify =
        |headers: &HeaderMap, body: &[u8]| state.verifier.verify_generic(headers, body, chrono::Utc::now().timestamp());
    receive(&request, payload, &state, verify, community::parse).await
}
