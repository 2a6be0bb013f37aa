//! The common body of both webhook routes: the checks in their fixed order (content type, size, signature, JSON and
//! fields), then the store, and the answer the contract gives.

use actix_web::http::StatusCode;
use actix_web::http::header::HeaderMap;
use actix_web::{HttpRequest, HttpResponse, web};

use super::AppState;
use crate::body;
use crate::error::ApiError;
use crate::openapi::{WebhookAnswer, WebhookStatus};
use crate::payload::{Parsed, Source};
use crate::store::{StoreError, StoreOutcome};
use pathfinder_core::privacy::forget_member;

/// Receives one webhook: `application/json` (415), the body within the size limit and deadline (413, 400), the
/// route's signature check `verify` (401), its parser `parse` (400, 422), then stores and answers.
pub async fn receive(
    request: &HttpRequest,
    payload: web::Payload,
    state: &AppState,
    verify: impl FnOnce(&HeaderMap, &[u8]) -> Result<(), ApiError>,
    parse: impl FnOnce(&HeaderMap, &[u8]) -> Result<Parsed, ApiError>,
) -> Result<HttpResponse, ApiError> {
    body::require_json(request)?;
    let body = body::read_limited(request, payload, state.max_body_bytes).await?;
    verify(request.headers(), &body)?;
    let parsed = parse(request.headers(), &body)?;
    store_and_answer(state, parsed).await
}

async fn store_and_answer(state: &AppState, parsed: Parsed) -> Result<HttpResponse, ApiError> {
    let event = match parsed {
        Parsed::Event(event) => event,
        Parsed::Ignored(reason) => {
            tracing::debug!(reason, "webhook ignored");
            crate::metrics::record_outcome("ignored");
            return Ok(ignored());
        }
        Parsed::Erase(source, user_id) => return erase(state, source, &user_id).await,
    };
    let user_id = event.user_id.clone();
    let stored = tokio::time::timeout(state.write_timeout, state.writer.store(event)).await;
    let unavailable = ApiError::DatabaseUnavailable { retry_after_secs: state.retry_after_secs };
    match stored {
        Ok(Ok(StoreOutcome::Accepted(id))) => {
            tracing::info!(event_id = id, user_id = %user_id, "webhook accepted");
            crate::metrics::record_outcome("accepted");
            Ok(HttpResponse::build(StatusCode::ACCEPTED).json(WebhookAnswer::event(WebhookStatus::Accepted, id)))
        }
        Ok(Ok(StoreOutcome::Duplicate(id))) => {
            tracing::info!(event_id = id, user_id = %user_id, "duplicate delivery");
            crate::metrics::record_outcome("duplicate");
            Ok(HttpResponse::Ok().json(WebhookAnswer::event(WebhookStatus::Duplicate, id)))
        }
        Ok(Ok(StoreOutcome::Ignored)) => {
            tracing::debug!(user_id = %user_id, "field not registered; ignored");
            crate::metrics::record_outcome("ignored");
            Ok(ignored())
        }
        Ok(Err(StoreError::Unavailable)) => Err(unavailable),
        Ok(Err(StoreError::Failed(error))) => {
            // The database refused the write: nothing is stored, and the contract's answer for that is 503 (the
            // sender retries); the log has the cause.
            tracing::error!(error = %error, user_id = %user_id, "event could not be stored");
            Err(unavailable)
        }
        Err(_) => {
            tracing::warn!(user_id = %user_id, "write timed out; the sender will retry");
            Err(unavailable)
        }
    }
}

/// The platform deleted or anonymised the member: erase them on that source, as `pathfinder forget --source` does.
async fn erase(state: &AppState, source: Source, user_id: &str) -> Result<HttpResponse, ApiError> {
    let unavailable = ApiError::DatabaseUnavailable { retry_after_secs: state.retry_after_secs };
    let mut client = state.pool.get().await.map_err(|_| unavailable.clone())?;
    let actor = format!("webhook:{source}");
    let result = async {
        let tx = client.transaction().await?;
        let erased = forget_member(&tx, user_id, Some(source), false, &actor).await?;
        tx.commit().await?;
        Ok::<_, tokio_postgres::Error>(erased)
    }
    .await;
    match result {
        Ok(erased) => {
            tracing::info!(user_id = %user_id, source = %source, audit_seq = erased.audit_seq, "member erased by the platform");
            crate::metrics::record_outcome("erased");
            Ok(HttpResponse::build(StatusCode::ACCEPTED).json(WebhookAnswer::erased(erased.members_found)))
        }
        Err(error) => {
            tracing::error!(error = %error, user_id = %user_id, "erasure failed (nothing was removed)");
            Err(unavailable)
        }
    }
}

fn ignored() -> HttpResponse {
    HttpResponse::build(StatusCode::ACCEPTED).json(WebhookAnswer::ignored())
}
