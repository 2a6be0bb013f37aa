//! Admin authentication: 404 for every admin route when no `ADMIN_TOKEN` is configured (the API does not exist),
//! 401 when the bearer token is missing or wrong. Tokens are compared in constant time over SHA-256 digests, so
//! neither their content nor their length leaks through timing.

use actix_web::HttpRequest;
use actix_web::http::header;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::error::ApiError;

pub fn require_admin(request: &HttpRequest, configured: Option<&str>) -> Result<(), ApiError> {
    let Some(expected) = configured else {
        return Err(ApiError::NotFound);
    };
    let presented = request
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim)
        .ok_or(ApiError::Unauthorized)?;
    let same: bool = Sha256::digest(presented.as_bytes()).ct_eq(&Sha256::digest(expected.as_bytes())).into();
    if same { Ok(()) } else { Err(ApiError::Unauthorized) }
}
