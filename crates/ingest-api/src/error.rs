//! Every error answer of the API: an HTTP status, a stable kebab-case code and a message.
//!
//! Body: `{"error":{"code":"...","message":"..."}}`. 5xx messages say little; the log says the rest.

use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpResponse, ResponseError};

use crate::openapi::{ErrorBody, ErrorDetail};

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
    #[error("Content-Type must be application/x-www-form-urlencoded")]
    UnsupportedFormType,
    #[error("{0}")]
    InvalidField(String),
    #[error("no such route")]
    NotFound,
    /// The route exists, the thing it names does not (or its id does not parse).
    #[error("no such {0}")]
    NoSuch(&'static str),
    #[error("missing or wrong admin token")]
    Unauthorized,
    #[error("this form did not come from the dashboard")]
    Forbidden,
    /// An outbound webhook request refused (`pathfinder_core::outbound::OutboundError`): its own code and status.
    #[error("{message}")]
    Outbound { code: &'static str, status: u16, message: String },
    #[error("database unavailable, retry later")]
    DatabaseUnavailable { retry_after_secs: u64 },
    /// A query's result lacks a column this build reads, or holds another type: the schema is not the one this build
    /// expects (a migration not applied). Not the client's fault, and not fixed by retrying soon; the log names the
    /// column.
    #[error("the database schema does not match this build")]
    SchemaDrift { retry_after_secs: u64 },
}

impl ApiError {
    /// The answer for a failed query, logged with `what` was being done: `schema-drift` when the result did not have
    /// the columns this build reads, else `database-unavailable` (as for any database failure: 503, retry later).
    pub fn from_query(error: &pathfinder_core::db::QueryError, what: &str, retry_after_secs: u64) -> Self {
        tracing::error!(error = %error, code = error.code(), "{what} failed");
        match error {
            pathfinder_core::db::QueryError::Drift(_) => Self::SchemaDrift { retry_after_secs },
            pathfinder_core::db::QueryError::Database(_) => Self::DatabaseUnavailable { retry_after_secs },
        }
    }
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
            Self::UnsupportedMediaType | Self::UnsupportedFormType => "unsupported-media-type",
            Self::InvalidField(_) => "invalid-field",
            Self::NotFound | Self::NoSuch(_) => "not-found",
            Self::Unauthorized => "unauthorized",
            Self::Forbidden => "forbidden",
            Self::Outbound { code, .. } => code,
            Self::DatabaseUnavailable { .. } => "database-unavailable",
            Self::SchemaDrift { .. } => "schema-drift",
        }
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        match self {
            Self::MalformedJson(_) | Self::BodyTimeout | Self::BodyUnreadable => StatusCode::BAD_REQUEST,
            Self::MissingSignature | Self::InvalidSignature | Self::StaleTimestamp => StatusCode::UNAUTHORIZED,
            Self::PayloadTooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            Self::UnsupportedMediaType | Self::UnsupportedFormType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Self::InvalidField(_) => StatusCode::UNPROCESSABLE_ENTITY,
            Self::NotFound | Self::NoSuch(_) => StatusCode::NOT_FOUND,
            Self::Unauthorized => StatusCode::UNAUTHORIZED,
            Self::Forbidden => StatusCode::FORBIDDEN,
            Self::Outbound { status, .. } => StatusCode::from_u16(*status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
            Self::DatabaseUnavailable { .. } | Self::SchemaDrift { .. } => StatusCode::SERVICE_UNAVAILABLE,
        }
    }

    fn error_response(&self) -> HttpResponse {
        let mut response = HttpResponse::build(self.status_code());
        if let Self::DatabaseUnavailable { retry_after_secs } | Self::SchemaDrift { retry_after_secs } = self
            && let Ok(value) = HeaderValue::from_str(&retry_after_secs.to_string())
        {
            response.insert_header((header::RETRY_AFTER, value));
        }
        response.json(ErrorBody { error: ErrorDetail { code: self.code(), message: self.to_string() } })
    }
}

/// actix-web's extractors answer in the API's error format too: a path parameter that does not parse (an id that is
/// not a number) is `not-found`, a form of another content type `unsupported-media-type`, a form that does not
/// parse (a field missing) `invalid-field`.
pub fn extractor_errors() -> (actix_web::web::PathConfig, actix_web::web::FormConfig) {
    let path = actix_web::web::PathConfig::default().error_handler(|_, _| ApiError::NoSuch("resource").into());
    let form = actix_web::web::FormConfig::default().error_handler(|error, _| match error {
        actix_web::error::UrlencodedError::ContentType => ApiError::UnsupportedFormType.into(),
        other => ApiError::InvalidField(format!("the form does not parse: {other}")).into(),
    });
    (path, form)
}
