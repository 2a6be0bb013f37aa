//! Every error answer of the API: an HTTP status, a stable kebab-case code and a message.
//!
//! Body: `{"error":{"code":"...","message":"..."}}`. 5xx messages say little; the log says the rest.

use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpResponse, ResponseError};
use serde_json::json;

#[derive(Debug, Clone, thiserror::Error)]
pub enum ApiError {
    #[error("malformed JSON: {0}")]
    MalformedJson(String),
    #[error("the request body did not arrive in time")]
    BodyTimeout,
    #[error("the request body could not be read")]
    BodyUnreadable,
    #[error("missing webhook signature")]
    MissingSignature,
    #[error("invalid webhook signature")]
    InvalidSignature,
    #[error("webhook timestamp outside the allowed tolerance")]
    StaleTimestamp,
    #[error("request body larger than {limit} bytes")]
    PayloadTooLarge { limit: usize },
    #[error("Content-Type must be application/json")]
    UnsupportedMediaType,
    #[error("{0}")]
    InvalidField(String),
    #[error("no such route")]
    NotFound,
    #[error("missing or wrong admin token")]
    Unauthorized,
    #[error("this form did not come from the dashboard")]
    Forbidden,
    /// An outbound webhook request refused (`pathfinder_core::outbound::OutboundError`): its own code and status.
    #[error("{message}")]
    Outbound { code: &'static str, status: u16, message: String },
    #[error("database unavailable, retry later")]
    DatabaseUnavailable { retry_after_secs: u64 },
}

impl ApiError {
    /// Stable machine-readable code, documented in README and OpenAPI.
    pub fn code(&self) -> &'static str {
        match self {
            Self::MalformedJson(_) => "malformed-json",
            Self::BodyTimeout => "body-timeout",
            Self::BodyUnreadable => "body-unreadable",
            Self::MissingSignature => "missing-signature",
            Self::InvalidSignature => "invalid-signature",
            Self::StaleTimestamp => "stale-timestamp",
            Self::PayloadTooLarge { .. } => "payload-too-large",
            Self::UnsupportedMediaType => "unsupported-media-type",
            Self::InvalidField(_) => "invalid-field",
            Self::NotFound => "not-found",
            Self::Unauthorized => "unauthorized",
            Self::Forbidden => "forbidden",
            Self::Outbound { code, .. } => code,
            Self::DatabaseUnavailable { .. } => "database-unavailable",
        }
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        match self {
            Self::MalformedJson(_) | Self::BodyTimeout | Self::BodyUnreadable => StatusCode::BAD_REQUEST,
            Self::MissingSignature | Self::InvalidSignature | Self::StaleTimestamp => StatusCode::UNAUTHORIZED,
            Self::PayloadTooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            Self::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Self::InvalidField(_) => StatusCode::UNPROCESSABLE_ENTITY,
            Self::NotFound => StatusCode::NOT_FOUND,
            Self::Unauthorized => StatusCode::UNAUTHORIZED,
            Self::Forbidden => StatusCode::FORBIDDEN,
            Self::Outbound { status, .. } => StatusCode::from_u16(*status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
            Self::DatabaseUnavailable { .. } => StatusCode::SERVICE_UNAVAILABLE,
        }
    }

    fn error_response(&self) -> HttpResponse {
        let mut response = HttpResponse::build(self.status_code());
        if let Self::DatabaseUnavailable { retry_after_secs } = self
            && let Ok(value) = HeaderValue::from_str(&retry_after_secs.to_string())
        {
            response.insert_header((header::RETRY_AFTER, value));
        }
        response.json(json!({ "error": { "code": self.code(), "message": self.to_string() } }))
    }
}
