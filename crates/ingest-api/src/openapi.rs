//! `GET /openapi.json`: the API described from the code (utoipa). Every handler carries its `#[utoipa::path]` and
//! its actix-web route attribute; `startup.rs` registers each handler once through utoipa-actix-web, which collects
//! the paths and the schemas of their bodies (the types the handlers serialise) from that registration. [`base`] is
//! what no handler says: the title, the tags, the admin token's security scheme, the request bodies' schemas.

use actix_web::get;
use serde::Serialize;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi, ToSchema};

/// The seed webhook body (unknown keys are ignored).
#[derive(Serialize, ToSchema)]
#[schema(example = json!({"userId": "42", "username": "ada", "profileField": "Job Title",
                          "value": "Chief Executive Officer", "oldValue": null}))]
#[serde(rename_all = "camelCase")]
pub struct CommunityWebhook {
    /// A string or an integer.
    #[schema(value_type = String)]
    pub user_id: String,
    pub username: Option<String>,
    pub profile_field: String,
    /// The new title; null when the member cleared it.
    pub value: Option<String>,
    pub old_value: Option<String>,
}

/// A Discourse `user_updated` delivery (only `user.id`, `user.username` and `user.user_fields` are read).
#[derive(Serialize, ToSchema)]
#[schema(example = json!({"user": {"id": 77, "username": "jdoe", "user_fields": {"1": "VP of Engineering"}}}))]
pub struct DiscourseWebhook {
    #[schema(value_type = Object)]
    pub user: serde_json::Value,
}

/// What a webhook did: 202 `accepted` (stored and committed, with `eventId`), 200 `duplicate` (the same delivery
/// again, with the original `eventId`), 202 `ignored` (not a watched field or event: nothing stored) or 202 `erased`
/// (the platform deleted or anonymised the member, with `membersFound`).
#[derive(Serialize, ToSchema)]
#[schema(example = json!({"status": "accepted", "eventId": 1}))]
#[serde(rename_all = "camelCase")]
pub struct WebhookAnswer {
    pub status: WebhookStatus,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub event_id: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub members_found: Option<u64>,
}

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum WebhookStatus {
    Accepted,
    Duplicate,
    Ignored,
    Erased,
}

impl WebhookAnswer {
    pub fn event(status: WebhookStatus, event_id: i64) -> Self {
        Self { status, event_id: Some(event_id), members_found: None }
    }

    pub fn ignored() -> Self {
        Self { status: WebhookStatus::Ignored, event_id: None, members_found: None }
    }

    pub fn erased(members_found: u64) -> Self {
        Self { status: WebhookStatus::Erased, event_id: None, members_found: Some(members_found) }
    }
}

#[derive(Serialize, ToSchema)]
pub struct ErrorDetail {
    /// Stable kebab-case code, e.g. `invalid-field`.
    pub code: &'static str,
    pub message: String,
}

/// Every error answer.
#[derive(Serialize, ToSchema)]
#[schema(example = json!({"error": {"code": "invalid-field", "message": "userId must be a string or an integer"}}))]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

/// A month-to-date report queued for report-builder.
#[derive(Serialize, ToSchema)]
#[schema(example = json!({"status": "queued", "reportId": 3, "month": "2026-11"}))]
#[serde(rename_all = "camelCase")]
pub struct ReportQueued {
    /// Always `queued`.
    pub status: &'static str,
    pub report_id: i64,
    pub month: String,
}

/// `DELETE /admin/endpoints/{id}` answer.
#[derive(Serialize, ToSchema)]
#[schema(example = json!({"status": "removed", "deliveriesDeleted": 12}))]
#[serde(rename_all = "camelCase")]
pub struct EndpointRemoved {
    pub status: String,
    pub deliveries_deleted: i64,
}

/// `POST /admin/outbound-deliveries/{id}/resend` answer.
#[derive(Serialize, ToSchema)]
#[schema(example = json!({"status": "queued", "wasStatus": "failed"}))]
#[serde(rename_all = "camelCase")]
pub struct DeliveryResent {
    pub status: String,
    /// The delivery's status before the resend.
    pub was_status: String,
}

/// `/health` (`ok`) and `/ready` (`ready`, or 503 `unavailable` with the reason).
#[derive(Serialize, ToSchema)]
#[schema(example = json!({"status": "ready"}))]
pub struct Status {
    pub status: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        if let Some(components) = openapi.components.as_mut() {
            components.add_security_scheme(
                "admin_token",
                SecurityScheme::Http(
                    HttpBuilder::new().scheme(HttpAuthScheme::Bearer).description(Some("ADMIN_TOKEN")).build(),
                ),
            );
        }
    }
}

#[derive(OpenApi)]
#[openapi(
    info(title = "CaptPathfinder ingest-api", description = "Webhooks in, operator's admin API out."),
    components(schemas(CommunityWebhook, DiscourseWebhook, WebhookAnswer, WebhookStatus, ErrorBody, ErrorDetail,
                        ReportQueued, Status)),
    modifiers(&BearerAuth),
    tags((name = "webhooks", description = "Profile events from the community platform"),
         (name = "admin", description = "Operators (Authorization: Bearer ADMIN_TOKEN; 404 when no token is configured)"),
         (name = "dashboard", description = "The operator's HTML dashboard (cookie sign-in, CSRF-protected forms)"),
         (name = "service", description = "Health, readiness, metrics, this document"))
)]
pub struct ApiDoc;

/// The document's frame, before the routes add their paths and schemas.
pub fn base() -> utoipa::openapi::OpenApi {
    ApiDoc::openapi()
}

/// The document collected when the routes were registered (`startup.rs`).
pub struct Document(pub utoipa::openapi::OpenApi);

/// This document.
#[utoipa::path(operation_id = "openapi", tag = "service",
    responses((status = 200, description = "The OpenAPI 3.1 document", content_type = "application/json")))]
#[get("/openapi.json")]
pub async fn get_openapi(document: actix_web::web::Data<Document>) -> actix_web::HttpResponse {
    actix_web::HttpResponse::Ok().json(&document.0)
}
