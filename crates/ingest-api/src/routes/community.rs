//! `POST /webhooks/community`: the generic seed JSON.

use actix_web::{HttpRequest, HttpResponse, web};

use super::AppState;
use super::respond::store_and_answer;
use crate::body;
use crate::error::ApiError;
use crate::payload::community;

pub async fn post(
    request: HttpRequest,
    payload: web::Payload,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    body::require_json(&request)?;
    let body = body::read_limited(&request, payload, state.max_body_bytes).await?;
    state.verifier.verify_generic(request.headers(), &body, chrono::Utc::now().timestamp())?;
    let parsed = community::parse(request.headers(), &body)?;
    store_and_answer(&state, parsed).await
}
