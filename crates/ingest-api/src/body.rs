//! Reading a webhook body: content type first, then a size limit enforced while reading, with a deadline so a
//! slow sender cannot hold a worker.

use std::time::Duration;

use actix_web::HttpRequest;
use actix_web::http::header;
use actix_web::web::{Bytes, BytesMut, Payload};
use futures_util::StreamExt;

use crate::error::ApiError;

/// How long a client may take to send its body.
const BODY_DEADLINE: Duration = Duration::from_secs(10);

/// Rejects anything but `application/json` (parameters such as `charset=utf-8` are fine). Content-Type is a
/// singleton field (RFC 9110 5.3): a request with two of them is ambiguous, whatever they say, and is refused too.
pub fn require_json(request: &HttpRequest) -> Result<(), ApiError> {
    let mut values = request.headers().get_all(header::CONTENT_TYPE);
    let (Some(value), None) = (values.next(), values.next()) else {
        return Err(ApiError::UnsupportedMediaType);
    };
    let content_type = value.to_str().map_err(|_| ApiError::UnsupportedMediaType)?;
    let essence = content_type.split(';').next().unwrap_or("").trim();
    if essence.eq_ignore_ascii_case("application/json") { Ok(()) } else { Err(ApiError::UnsupportedMediaType) }
}

/// Reads the whole body, at most `limit` bytes.
pub async fn read_limited(request: &HttpRequest, payload: Payload, limit: usize) -> Result<Bytes, ApiError> {
    let declared =
        request.headers().get(header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()).and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > limit as u64) {
        return Err(ApiError::PayloadTooLarge { limit });
    }
    match tokio::time::timeout(BODY_DEADLINE, collect(payload, limit)).await {
        Ok(result) => result,
        Err(_) => Err(ApiError::BodyTimeout),
    }
}

async fn collect(mut payload: Payload, limit: usize) -> Result<Bytes, ApiError> {
    let mut body = BytesMut::new();
    while let Some(chunk) = payload.next().await {
        let chunk = chunk.map_err(|_| ApiError::BodyUnreadable)?;
        if body.len() + chunk.len() > limit {
            return Err(ApiError::PayloadTooLarge { limit });
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body.freeze())
}
