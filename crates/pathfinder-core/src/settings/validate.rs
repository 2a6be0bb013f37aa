//! Start-up validation: the first problem found is reported as one line naming the setting.

use std::net::SocketAddr;

use super::{Settings, SettingsError};

impl Settings {
    pub(super) fn validate(&self, require_database: bool) -> Result<(), SettingsError> {
        if self.database_url.trim().is_empty() {
            if require_database {
                return Err(SettingsError::new(
                    "DATABASE_URL",
                    "is required (e.g. postgres://postgres@127.0.0.1:5432/pathfinder)",
                ));
            }
        } else {
            // The same parse the connections use (sslmode and sslrootcert included), so a bad URL or an unreadable
            // CA file stops the binary at start with one line.
            crate::db::tls::parse(&self.database_url)
                .map_err(|e| SettingsError::new("DATABASE_URL", format!("is not usable: {e:#}")))?;
        }
        parse_addr("BIND_ADDR", &self.bind_addr)?;
        super::WebhookSecrets::parse(&self.webhook_secrets, &self.webhook_raw_secrets)?;
        if !self.health_addr.is_empty() {
            parse_addr("HEALTH_ADDR", &self.health_addr)?;
        }
        if !self.metrics_addr.is_empty() {
            parse_addr("METRICS_ADDR", &self.metrics_addr)?;
        }
        if self.timezone.parse::<chrono_tz::Tz>().is_err() {
            return Err(SettingsError::new(
                "TIMEZONE",
                format!("{:?} is not an IANA time zone such as America/New_York", self.timezone),
            ));
        }
        if let Err(error) = tracing_subscriber::EnvFilter::try_new(&self.log_level) {
            return Err(SettingsError::new(
                "RUST_LOG",
                format!("{:?} is not a log filter such as info or ingest_api=debug,info ({error})", self.log_level),
            ));
        }
        positive("EVENT_RETENTION_DAYS", self.event_retention_days as u64)?;
        positive("PATHFINDER_DATABASE__POOL_SIZE", self.database.pool_size as u64)?;
        positive("PATHFINDER_DATABASE__CONNECT_TIMEOUT_MS", self.database.connect_timeout_ms)?;
        positive("PATHFINDER_DATABASE__ACQUIRE_TIMEOUT_MS", self.database.acquire_timeout_ms)?;
        positive("PATHFINDER_DATABASE__STATEMENT_TIMEOUT_MS", self.database.statement_timeout_ms)?;
        positive("PATHFINDER_INGEST__MAX_BODY_BYTES", self.ingest.max_body_bytes as u64)?;
        positive("PATHFINDER_INGEST__DEDUPE_WINDOW_HOURS", self.ingest.dedupe_window_hours as u64)?;
        positive("PATHFINDER_INGEST__SIGNATURE_TOLERANCE_SECS", self.ingest.signature_tolerance_secs.max(0) as u64)?;
        positive("PATHFINDER_INGEST__BATCH_MAX_ROWS", self.ingest.batch_max_rows as u64)?;
        positive("PATHFINDER_INGEST__BATCH_WRITERS", self.ingest.batch_writers as u64)?;
        positive("PATHFINDER_INGEST__WRITE_TIMEOUT_SECS", self.ingest.write_timeout_secs)?;
        if self.ingest.batch_writers >= self.database.pool_size {
            return Err(SettingsError::new(
                "PATHFINDER_INGEST__BATCH_WRITERS",
                format!(
                    "must be below PATHFINDER_DATABASE__POOL_SIZE ({}) so health checks still get a connection",
                    self.database.pool_size
                ),
            ));
        }
        positive("PATHFINDER_CLASSIFIER__BATCH_SIZE", self.classifier.batch_size.max(0) as u64)?;
        positive("PATHFINDER_CLASSIFIER__LEASE_SECS", self.classifier.lease_secs.max(0) as u64)?;
        positive("PATHFINDER_CLASSIFIER__POLL_INTERVAL_MS", self.classifier.poll_interval_ms)?;
        positive("PATHFINDER_CLASSIFIER__MAX_ATTEMPTS", self.classifier.max_attempts.max(0) as u64)?;
        positive("PATHFINDER_CLASSIFIER__WORKERS", self.classifier.workers as u64)?;
        match self.storage.backend.as_str() {
            "local" => {}
            "s3" if self.storage.s3_bucket.trim().is_empty() => {
                return Err(SettingsError::new("PATHFINDER_STORAGE__S3_BUCKET", "is required when the backend is s3"));
            }
            "s3" => {}
            other => {
                return Err(SettingsError::new(
                    "PATHFINDER_STORAGE__BACKEND",
                    format!("{other:?} is not a storage backend: use local or s3"),
                ));
            }
        }
        for channel in self.digest.channel_names() {
            if channel != "email" && channel != "teams" {
                return Err(SettingsError::new(
                    "PATHFINDER_DIGEST__CHANNELS",
                    format!("unknown channel {channel:?}: use email, teams or both"),
                ));
            }
        }
        if self.enrichment.enabled() {
            let url = &self.enrichment.lookup_url;
            if !(url.starts_with("http://") || url.starts_with("https://")) {
                return Err(SettingsError::new(
                    "PATHFINDER_ENRICHMENT__LOOKUP_URL",
                    "must be an http:// or https:// URL",
                ));
            }
            positive("PATHFINDER_ENRICHMENT__TIMEOUT_MS", self.enrichment.timeout_ms)?;
            positive("PATHFINDER_ENRICHMENT__MAX_ATTEMPTS", self.enrichment.max_attempts.max(0) as u64)?;
        }
        self.validate_outbound()?;
        if self.discourse.job_title_field_id.trim().is_empty() {
            return Err(SettingsError::new("PATHFINDER_DISCOURSE__JOB_TITLE_FIELD_ID", "must not be empty"));
        }
        if self.discourse.reconcile_hour > 23 {
            return Err(SettingsError::new("PATHFINDER_DISCOURSE__RECONCILE_HOUR", "must be an hour from 0 to 23"));
        }
        if self.discourse.reconcile_enabled {
            let url = &self.discourse.base_url;
            if !(url.starts_with("http://") || url.starts_with("https://")) {
                return Err(SettingsError::new(
                    "PATHFINDER_DISCOURSE__BASE_URL",
                    "must be the forum's http:// or https:// URL when reconciliation is enabled",
                ));
            }
            for (name, value) in [
                ("PATHFINDER_DISCOURSE__API_KEY", &self.discourse.api_key),
                ("PATHFINDER_DISCOURSE__API_USERNAME", &self.discourse.api_username),
            ] {
                if value.trim().is_empty() {
                    return Err(SettingsError::new(name, "is required when reconciliation is enabled"));
                }
            }
            positive(
                "PATHFINDER_DISCOURSE__RECONCILE_REQUESTS_PER_MINUTE",
                u64::from(self.discourse.reconcile_requests_per_minute),
            )?;
            positive("PATHFINDER_DISCOURSE__RECONCILE_TIMEOUT_MS", self.discourse.reconcile_timeout_ms)?;
        }
        Ok(())
    }
}

impl Settings {
    fn validate_outbound(&self) -> Result<(), SettingsError> {
        let outbound = &self.outbound;
        positive("PATHFINDER_OUTBOUND__TIMEOUT_MS", outbound.timeout_ms)?;
        positive("PATHFINDER_OUTBOUND__RETRY_BASE_SECS", outbound.retry_base_secs)?;
        positive("PATHFINDER_OUTBOUND__RETRY_MAX_DELAY_SECS", outbound.retry_max_delay_secs)?;
        positive("PATHFINDER_OUTBOUND__RETRY_HOURS", u64::from(outbound.retry_hours))?;
        positive("PATHFINDER_OUTBOUND__DISABLE_AFTER_DAYS", u64::from(outbound.disable_after_days))?;
        positive("PATHFINDER_OUTBOUND__POLL_INTERVAL_MS", outbound.poll_interval_ms)?;
        positive("PATHFINDER_OUTBOUND__CONCURRENCY", outbound.concurrency as u64)?;
        if outbound.lease_secs.max(0) as u64 * 1000 <= outbound.timeout_ms {
            return Err(SettingsError::new(
                "PATHFINDER_OUTBOUND__LEASE_SECS",
                "must be longer than PATHFINDER_OUTBOUND__TIMEOUT_MS, so a delivery in flight keeps its claim",
            ));
        }
        Ok(())
    }
}

fn parse_addr(setting: &str, value: &str) -> Result<SocketAddr, SettingsError> {
    value
        .parse()
        .map_err(|_| SettingsError::new(setting, format!("{value:?} is not a socket address such as 0.0.0.0:8080")))
}

fn positive(setting: &str, value: u64) -> Result<(), SettingsError> {
    if value == 0 { Err(SettingsError::new(setting, "must be greater than zero")) } else { Ok(()) }
}
