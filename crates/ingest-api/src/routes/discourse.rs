//! `POST /webhooks/discourse`: a Discourse `user_updated` delivery.

use actix_web::{HttpRequest, HttpResponse, web};

use super::AppState;
use super::respond::store_and_answer;
use crate::body;
use crate::error::ApiError;
use crate::payload::discourse::{self, DiscourseFieldConfig};

pub async fn post(
    request: HttpRequest,
    payload: web::Payload,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    body::require_json(&request)?;
    let body = body::read_limited(&request, payload, state.max_body_bytes).await?;
    state.verifier.verify_discourse(request.headers(), &body)?;
    let config = DiscourseFieldConfig {
        field_id: &state.discourse_field_id,
        profile_field_name: &state.discourse_profile_field,
    };
    let parsed = discourse::parse(request.headers(), &body, &config)?;
    store_and_answer(&state, parsed).await
}
