//! What every handler shares.

use std::time::Duration;

use pathfinder_core::db::DbPool;
use pathfinder_core::telemetry::PrometheusHandle;

use crate::signature::Verifier;
use crate::store::EventWriter;

pub struct AppState {
    pub pool: DbPool,
    pub writer: EventWriter,
    pub verifier: Verifier,
    pub metrics: PrometheusHandle,
    /// Whether `GET /metrics` is served on the public port (false when METRICS_ADDR gives it its own listener).
    pub metrics_on_public_port: bool,
    pub max_body_bytes: usize,
    pub retry_after_secs: u64,
    pub write_timeout: Duration,
    pub discourse_field_id: String,
    pub discourse_profile_field: String,
    /// Erase a Discourse member on user_destroyed or anonymisation.
    pub discourse_erase_on_delete: bool,
    pub admin_token: Option<String>,
    /// Who admin-token actions are recorded as in the audit log (`PATHFINDER_ADMIN__TOKEN_LABEL`).
    pub admin_label: String,
    /// Outbound webhook endpoints may be on private addresses (`PATHFINDER_OUTBOUND__ALLOW_PRIVATE_TARGETS`).
    pub allow_private_targets: bool,
    pub tz: chrono_tz::Tz,
    /// The dashboard's pages (config/templates/admin-*.html).
    pub pages: tera::Tera,
    pub reports_dir: std::path::PathBuf,
}

impl AppState {
    /// A pooled connection, or `database-unavailable` (503 with Retry-After) when none comes in time.
    pub async fn client(&self) -> Result<pathfinder_core::db::PooledClient, crate::error::ApiError> {
        self.pool
            .get()
            .await
            .map_err(|_| crate::error::ApiError::DatabaseUnavailable { retry_after_secs: self.retry_after_secs })
    }
}
