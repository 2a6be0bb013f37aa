//! `POST /webhooks/discourse`: a Discourse `user_updated` delivery.

use actix_web::post;
use actix_web::{HttpRequest, HttpResponse, web};

use super::AppState;
use super::respond::receive;
use crate::error::ApiError;
use crate::payload::discourse::{self, DiscourseFieldConfig};

/// A Discourse `user_updated` (or `user_created`) webhook; the title is `user.user_fields["<id>"]`.
#[utoipa::path(operation_id = "receiveDiscourseWebhook", tag = "webhooks",
    request_body(content = crate::openapi::DiscourseWebhook, content_type = "application/json"),
    params(
        ("X-Discourse-Event" = String, Header, description = "The event type; only user_updated and user_created are stored"),
        ("X-Discourse-Event-Signature" = Option<String>, Header, description = "`sha256=<hex>` HMAC of the body"),
    ),
    responses(
        (status = 202, description = "Stored (`accepted`), `ignored` (another event type), or `erased` (user_destroyed or an anonymised user, when PATHFINDER_DISCOURSE__ERASE_ON_DELETE)", body = crate::openapi::WebhookAnswer),
        (status = 200, description = "The same body again (a Discourse retry)", body = crate::openapi::WebhookAnswer),
        (status = 400, description = "Malformed JSON, or a body that never finished arriving", body = crate::openapi::ErrorBody),
        (status = 401, description = "Missing, invalid or stale signature (when WEBHOOK_SECRETS is set)", body = crate::openapi::ErrorBody),
        (status = 413, description = "Body larger than 64 KiB", body = crate::openapi::ErrorBody),
        (status = 415, description = "Content-Type is not application/json", body = crate::openapi::ErrorBody),
        (status = 422, description = "A field is missing, of the wrong type, too long or holds NUL", body = crate::openapi::ErrorBody),
        (status = 503, description = "Database unavailable; retry after Retry-After seconds", body = crate::openapi::ErrorBody),
    ))]
#[post("/webhooks/discourse")]
pub async fn post(
    request: HttpRequest,
    payload: web::Payload,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let config = DiscourseFieldConfig {
        field_id: &state.discourse_field_id,
        profile_field_name: &state.discourse_profile_field,
        erase_on_delete: state.discourse_erase_on_delete,
    };
    receive(
        &request,
        payload,
        &state,
        |headers, body| state.verifier.verify_discourse(headers, body),
        |headers, body| discourse::parse(headers, body, &config),
    )
    .await
}
