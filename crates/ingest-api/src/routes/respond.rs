//! The common tail of both webhook routes: store the event and answer as the contract says.

use actix_web::HttpResponse;
use actix_web::http::StatusCode;
use serde_json::json;

use super::AppState;
use crate::error::ApiError;
use crate::payload::Parsed;
use crate::store::{StoreError, StoreOutcome};

pub async fn store_and_answer(state: &AppState, parsed: Parsed) -> Result<HttpResponse, ApiError> {
    let event = match parsed {
        Parsed::Event(event) => event,
        Parsed::Ignored(reason) => {
            tracing::debug!(reason, "webhook ignored");
            crate::metrics::record_outcome("ignored");
            return Ok(ignored());
        }
    };
    let user_id = event.user_id.clone();
    let stored = tokio::time::timeout(state.write_timeout, state.writer.store(event)).await;
    let unavailable = ApiError::DatabaseUnavailable { retry_after_secs: state.retry_after_secs };
    match stored {
        Ok(Ok(StoreOutcome::Accepted(id))) => {
            tracing::info!(event_id = id, user_id = %user_id, "webhook accepted");
            crate::metrics::record_outcome("accepted");
            Ok(HttpResponse::build(StatusCode::ACCEPTED).json(json!({"status": "accepted", "eventId": id})))
        }
        Ok(Ok(StoreOutcome::Duplicate(id))) => {
            tracing::info!(event_id = id, user_id = %user_id, "duplicate delivery");
            crate::metrics::record_outcome("duplicate");
            Ok(HttpResponse::Ok().json(json!({"status": "duplicate", "eventId": id})))
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

fn ignored() -> HttpResponse {
    HttpResponse::build(StatusCode::ACCEPTED).json(json!({"status": "ignored"}))
}
