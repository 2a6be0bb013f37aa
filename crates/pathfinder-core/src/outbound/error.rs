//! What an operator's request about endpoints can be refused for: each with a stable code and an HTTP status.

use crate::db::{QueryError, SchemaDrift};

#[derive(Debug, thiserror::Error)]
pub enum OutboundError {
    #[error("{0}")]
    InvalidUrl(String),
    #[error("{0}")]
    PrivateTarget(String),
    #[error("{0}")]
    Unresolvable(String),
    #[error("unknown event type {0:?}: use detection.created, digest.sent or both")]
    UnknownEventType(String),
    #[error("the description must be at most {0} characters, without NUL")]
    InvalidDescription(usize),
    #[error("no endpoint {0}")]
    EndpointNotFound(i64),
    #[error("no outbound delivery {0}")]
    DeliveryNotFound(i64),
    #[error("endpoint {0} is disabled: `pathfinder endpoints enable {0}` first")]
    EndpointDisabled(i64),
    #[error("{0}")]
    Internal(String),
    #[error("database: {0}")]
    Database(#[from] tokio_postgres::Error),
    #[error(transparent)]
    Drift(#[from] SchemaDrift),
}

impl From<QueryError> for OutboundError {
    fn from(error: QueryError) -> Self {
        match error {
            QueryError::Database(error) => Self::Database(error),
            QueryError::Drift(drift) => Self::Drift(drift),
        }
    }
}

impl OutboundError {
    /// Stable kebab-case code (CLI `--json`, admin API).
    pub fn code(&self) -> &'static str {
        match self {
            Self::InvalidUrl(_) => "invalid-endpoint-url",
            Self::PrivateTarget(_) => "private-target-refused",
            Self::Unresolvable(_) => "unresolvable-target",
            Self::UnknownEventType(_) => "unknown-event-type",
            Self::InvalidDescription(_) => "invalid-description",
            Self::EndpointNotFound(_) => "endpoint-not-found",
            Self::DeliveryNotFound(_) => "delivery-not-found",
            Self::EndpointDisabled(_) => "endpoint-disabled",
            Self::Internal(_) => "internal-error",
            Self::Database(_) => "database-unavailable",
            Self::Drift(_) => SchemaDrift::CODE,
        }
    }

    /// The HTTP status of the admin API's answer.
    pub fn http_status(&self) -> u16 {
        match self {
            Self::InvalidUrl(_)
            | Self::PrivateTarget(_)
            | Self::Unresolvable(_)
            | Self::UnknownEventType(_)
            | Self::InvalidDescription(_) => 422,
            Self::EndpointNotFound(_) | Self::DeliveryNotFound(_) => 404,
            Self::EndpointDisabled(_) => 409,
            Self::Internal(_) => 500,
            Self::Database(_) | Self::Drift(_) => 503,
        }
    }
}
