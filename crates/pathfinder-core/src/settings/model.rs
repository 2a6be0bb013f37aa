//! The settings structs. Every field is documented in `config/default.toml`, which also holds its default.

use std::fmt;

use serde::Deserialize;

#[derive(Clone, Deserialize)]
pub struct Settings {
    /// PostgreSQL connection URL (`DATABASE_URL`). Required.
    pub database_url: String,
    /// ingest-api listen address (`BIND_ADDR`).
    pub bind_addr: String,
    /// Health and metrics listener of the worker services (`HEALTH_ADDR`); empty means off.
    pub health_addr: String,
    /// ingest-api's separate listener for /metrics, /health and /ready (`METRICS_ADDR`); empty means /metrics is
    /// served on BIND_ADDR.
    pub metrics_addr: String,
    /// Bearer token of the admin API (`ADMIN_TOKEN`); empty means the admin routes answer 404.
    pub admin_token: String,
    /// Comma-separated Standard Webhooks secrets, `whsec_<base64>` or bare base64 (`WEBHOOK_SECRETS`).
    pub webhook_secrets: String,
    /// Comma-separated GitHub-style and Discourse secrets, raw text (`WEBHOOK_RAW_SECRETS`).
    pub webhook_raw_secrets: String,
    /// Classification rules file (`RULES_PATH`).
    pub rules_path: String,
    /// Local report storage (`REPORTS_DIR`).
    pub reports_dir: String,
    /// IANA time zone of the schedules and reports (`TIMEZONE`).
    pub timezone: String,
    /// Days raw events are kept (`EVENT_RETENTION_DAYS`).
    pub event_retention_days: u32,
    /// `tracing` filter directive (`LOG_LEVEL`), e.g. `info` or `ingest_api=debug,info`.
    pub log_level: String,
    /// `json` for production, `pretty` for a terminal (`LOG_FORMAT`).
    pub log_format: LogFormat,
    pub database: DatabaseSettings,
    pub ingest: IngestSettings,
    pub discourse: DiscourseSettings,
    pub classifier: ClassifierSettings,
    pub enrichment: EnrichmentSettings,
    pub digest: DigestSettings,
    pub delivery: DeliverySettings,
    pub outbound: OutboundSettings,
    pub storage: StorageSettings,
    pub admin: AdminSettings,
    pub retention: RetentionSettings,
    /// Automation Anywhere Control Room base URL (`AA_CONTROL_ROOM_URL`); empty means not configured.
    pub aa_control_room_url: String,
    /// Control Room user the services authenticate as (`AA_USERNAME`).
    pub aa_username: String,
    /// That user's API key (`AA_API_KEY`).
    pub aa_api_key: String,
    /// Bot (file id) that sends digest emails (`AA_EMAIL_BOT_ID`).
    pub aa_email_bot_id: String,
    /// Bot (file id) that posts digests to Teams (`AA_TEAMS_BOT_ID`).
    pub aa_teams_bot_id: String,
    /// Comma-separated Control Room user ids the bots run as (`AA_RUN_AS_USER_IDS`).
    pub aa_run_as_user_ids: String,
    /// Teams Workflows / incoming webhook URL for direct Teams delivery (`TEAMS_WEBHOOK_URL`).
    pub teams_webhook_url: String,
    /// SMTP server for direct email, e.g. smtp://user:pass@host:587 (`SMTP_URL`).
    pub smtp_url: String,
    /// Comma-separated digest recipients (`DIGEST_EMAIL_TO`).
    pub digest_email_to: String,
    /// Digest sender address (`DIGEST_EMAIL_FROM`).
    pub digest_email_from: String,
}

#[derive(Clone, Deserialize)]
pub struct StorageSettings {
    /// Where reports go: `local` (REPORTS_DIR) or `s3` (any S3-compatible object storage).
    pub backend: String,
    /// Bucket name (s3).
    pub s3_bucket: String,
    /// Key prefix inside the bucket, e.g. `pathfinder/` (s3).
    pub s3_prefix: String,
    /// Region (s3), e.g. `us-east-1`.
    pub s3_region: String,
    /// Endpoint for non-AWS services (MinIO, Supabase Storage's S3 endpoint); empty means AWS.
    pub s3_endpoint: String,
    /// Access key id; empty means the standard AWS_ACCESS_KEY_ID / instance credentials.
    pub s3_access_key_id: String,
    /// Secret access key; empty means AWS_SECRET_ACCESS_KEY / instance credentials.
    pub s3_secret_access_key: String,
    /// Allow a plain-http endpoint (a local MinIO), never for production.
    pub s3_allow_http: bool,
}

impl fmt::Debug for StorageSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StorageSettings")
            .field("backend", &self.backend)
            .field("s3_bucket", &self.s3_bucket)
            .field("s3_prefix", &self.s3_prefix)
            .field("s3_region", &self.s3_region)
            .field("s3_endpoint", &self.s3_endpoint)
            .field("s3_access_key_id", &self.s3_access_key_id)
            .field("s3_secret_access_key", &if self.s3_secret_access_key.is_empty() { "" } else { "[redacted]" })
            .field("s3_allow_http", &self.s3_allow_http)
            .finish()
    }
}

#[derive(Debug, Clone, Deserialize)]
pub struct DeliverySettings {
    /// Transport of the email channel: `auto`, `aa`, `smtp` or `sandbox`.
    pub email_transport: String,
    /// Transport of the Teams channel: `auto`, `aa`, `teams-webhook` or `sandbox`.
    pub teams_transport: String,
    /// Folder the sandbox transport writes digests to.
    pub outbox_dir: String,
    /// Folder of the digest templates.
    pub templates_dir: String,
    /// Delivery tries before a digest is `failed`.
    pub max_attempts: i32,
    /// Milliseconds one delivery request may take.
    pub timeout_ms: u64,
    /// Seconds a claimed digest is kept from other senders.
    pub lease_secs: i64,
    /// Milliseconds between polls of the digest queue when no NOTIFY arrives.
    pub poll_interval_ms: u64,
}

/// Outbound webhooks (Standard Webhooks) delivered by digest-sender.
#[derive(Debug, Clone, Deserialize)]
pub struct OutboundSettings {
    /// Allow endpoints on loopback, private, link-local and other non-public addresses (tests, private networks).
    pub allow_private_targets: bool,
    /// Milliseconds one delivery request may take.
    pub timeout_ms: u64,
    /// Seconds before the first retry; each later retry waits twice as long (with jitter), up to `retry_max_delay_secs`.
    pub retry_base_secs: u64,
    /// Longest pause between two retries.
    pub retry_max_delay_secs: u64,
    /// Hours a delivery is retried before it is `failed`.
    pub retry_hours: u32,
    /// Days an endpoint may fail without one success before it is disabled.
    pub disable_after_days: u32,
    /// Seconds a claimed delivery is kept from other workers.
    pub lease_secs: i64,
    /// Milliseconds between polls of the delivery queue when no NOTIFY arrives.
    pub poll_interval_ms: u64,
    /// Deliveries in flight at once per digest-sender process.
    pub concurrency: usize,
    /// Seconds a detection's first delivery waits for its enrichment (when enrichment is on) before going without.
    pub enrichment_wait_secs: i64,
}

#[derive(Debug, Clone, Deserialize)]
pub struct AdminSettings {
    /// Who actions taken with `ADMIN_TOKEN` are recorded as in the audit log (the token itself never is).
    pub token_label: String,
}

/// How long the daily housekeeping keeps each kind of record; 0 keeps it forever.
#[derive(Debug, Clone, Deserialize)]
pub struct RetentionSettings {
    /// Days sent digests (with their entries and delivery records) are kept.
    pub sent_digest_days: u32,
    /// Days detections are kept (a detection in a digest not yet sent is always kept).
    pub detection_days: u32,
    /// Days month-end and month-to-date reports (rows and files) are kept.
    pub report_days: u32,
}

#[derive(Debug, Clone, Deserialize)]
pub struct DigestSettings {
    /// Comma-separated channels digests are built for: `email`, `teams`.
    pub channels: String,
}

impl DigestSettings {
    /// The channel names, trimmed, empty entries dropped.
    pub fn channel_names(&self) -> Vec<String> {
        self.channels.split(',').map(str::trim).filter(|c| !c.is_empty()).map(str::to_owned).collect()
    }
}

#[derive(Clone, Deserialize)]
pub struct EnrichmentSettings {
    /// Member lookup URL with `{username}` and `{userId}` placeholders; empty means enrichment is off.
    pub lookup_url: String,
    /// Sent as `Api-Key` (Discourse admin API); empty means not sent.
    pub api_key: String,
    /// Sent as `Api-Username` (Discourse admin API); empty means not sent.
    pub api_username: String,
    /// JSON Pointer (RFC 6901) to the email in the lookup's answer; empty means not read.
    pub email_pointer: String,
    /// JSON Pointer to the company; empty means not read.
    pub company_pointer: String,
    /// Profile URL template with `{username}` and `{userId}`; empty means none.
    pub profile_url_template: String,
    /// Milliseconds one lookup may take.
    pub timeout_ms: u64,
    /// Lookups tried (each with quick in-call retries) before a detection is left unenriched.
    pub max_attempts: i32,
}

impl EnrichmentSettings {
    pub fn enabled(&self) -> bool {
        !self.lookup_url.trim().is_empty()
    }
}

impl fmt::Debug for EnrichmentSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EnrichmentSettings")
            .field("lookup_url", &self.lookup_url)
            .field("api_key", &if self.api_key.is_empty() { "" } else { "[redacted]" })
            .field("api_username", &self.api_username)
            .field("email_pointer", &self.email_pointer)
            .field("company_pointer", &self.company_pointer)
            .field("profile_url_template", &self.profile_url_template)
            .field("timeout_ms", &self.timeout_ms)
            .field("max_attempts", &self.max_attempts)
            .finish()
    }
}

#[derive(Debug, Clone, Deserialize)]
pub struct ClassifierSettings {
    /// Most events claimed at once (one transaction applies them).
    pub batch_size: i64,
    /// Seconds a claim lasts; a crashed worker's events return to the queue after it.
    pub lease_secs: i64,
    /// Milliseconds between polls when no NOTIFY arrives.
    pub poll_interval_ms: u64,
    /// Tries before an event that keeps failing is parked as `failed`.
    pub max_attempts: i32,
    /// Worker tasks per process (each claims and applies batches).
    pub workers: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    Json,
    Pretty,
}

#[derive(Debug, Clone, Deserialize)]
pub struct DatabaseSettings {
    /// Connections in each process's pool.
    pub pool_size: usize,
    /// Milliseconds to open a new connection before giving up.
    pub connect_timeout_ms: u64,
    /// Milliseconds a caller waits for a free pooled connection before giving up.
    pub acquire_timeout_ms: u64,
    /// PostgreSQL `statement_timeout` of ingest-api's pooled connections (HTTP requests), in milliseconds.
    pub statement_timeout_ms: u64,
    /// `statement_timeout` of the workers' and the CLI's pooled connections (batches, builds, purges), in
    /// milliseconds; 0 turns it off.
    pub background_statement_timeout_ms: u64,
}

#[derive(Debug, Clone, Deserialize)]
pub struct IngestSettings {
    /// Largest accepted webhook body in bytes; larger bodies get 413.
    pub max_body_bytes: usize,
    /// Hours during which the same body (when the sender gives no delivery id) counts as a repeat delivery.
    pub dedupe_window_hours: u32,
    /// Seconds a signed timestamp may lie in the past or the future.
    pub signature_tolerance_secs: i64,
    /// Most events written by one multi-row insert.
    pub batch_max_rows: usize,
    /// Concurrent batch writers (each holds one connection while it commits).
    pub batch_writers: usize,
    /// Seconds announced in `Retry-After` when the database is unavailable.
    pub retry_after_secs: u64,
    /// Seconds a request waits for its batch to commit before answering 503.
    pub write_timeout_secs: u64,
    /// HTTP worker threads; 0 means one per CPU core.
    pub http_workers: usize,
}

#[derive(Clone, Deserialize)]
pub struct DiscourseSettings {
    /// Id of the Discourse user field that holds the job title (`user.user_fields["<id>"]`).
    pub job_title_field_id: String,
    /// Name under which Discourse job titles are stored in events_raw.profile_field.
    pub profile_field_name: String,
    /// Erase the member (as `pathfinder forget --source discourse`) on a `user_destroyed` webhook or an anonymised
    /// user.
    pub erase_on_delete: bool,
    /// Run the daily reconciliation (`discourse-reconcile`) against Discourse's admin API.
    pub reconcile_enabled: bool,
    /// The forum's base URL, e.g. `https://forum.example.com` (the admin API's root).
    pub base_url: String,
    /// Admin API key sent as `Api-Key` (secret: never logged).
    pub api_key: String,
    /// Sent as `Api-Username`: the user the key acts as.
    pub api_username: String,
    /// The hour (0 to 23, in `TIMEZONE`) the daily pass starts.
    pub reconcile_hour: u32,
    /// Most pages of 100 members one run reads (0: no limit); the pass continues at the next run.
    pub reconcile_max_pages: u32,
    /// Most admin API requests per minute (Discourse's own default limit is 60, shared by every admin key).
    pub reconcile_requests_per_minute: u32,
    /// Milliseconds one admin API request may take.
    pub reconcile_timeout_ms: u64,
}

impl DiscourseSettings {
    /// When `discourse-reconcile` fires: every day at `reconcile_hour`:00 local time (validated at load).
    pub fn reconcile_rule(&self) -> crate::schedule::Rule {
        let time = chrono::NaiveTime::from_hms_opt(self.reconcile_hour, 0, 0).unwrap_or(chrono::NaiveTime::MIN);
        crate::schedule::Rule::Daily { time }
    }
}

/// The API key never reaches a log through `{:?}`.
impl fmt::Debug for DiscourseSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DiscourseSettings")
            .field("job_title_field_id", &self.job_title_field_id)
            .field("profile_field_name", &self.profile_field_name)
            .field("erase_on_delete", &self.erase_on_delete)
            .field("reconcile_enabled", &self.reconcile_enabled)
            .field("base_url", &self.base_url)
            .field("api_key", &if self.api_key.is_empty() { "" } else { "[redacted]" })
            .field("api_username", &self.api_username)
            .field("reconcile_hour", &self.reconcile_hour)
            .field("reconcile_max_pages", &self.reconcile_max_pages)
            .field("reconcile_requests_per_minute", &self.reconcile_requests_per_minute)
            .field("reconcile_timeout_ms", &self.reconcile_timeout_ms)
            .finish()
    }
}

impl Settings {
    /// The configured webhook secrets of both schemes, decoded (validated at load, so the fallback to "none" is
    /// never used); empty when signatures are off.
    pub fn webhook_secrets(&self) -> super::WebhookSecrets {
        super::WebhookSecrets::parse(&self.webhook_secrets, &self.webhook_raw_secrets).unwrap_or_default()
    }

    /// The configured time zone (validated at load, so the fallback is never used).
    pub fn tz(&self) -> chrono_tz::Tz {
        self.timezone.parse().unwrap_or(chrono_tz::America::New_York)
    }

    /// The admin token, or `None` when the admin API is disabled.
    pub fn admin_token(&self) -> Option<&str> {
        Some(self.admin_token.as_str()).filter(|t| !t.is_empty())
    }
}

/// Secrets never reach a log through `{:?}`.
impl fmt::Debug for Settings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let redacted = |s: &str| if s.is_empty() { "" } else { "[redacted]" };
        f.debug_struct("Settings")
            .field("database_url", &redact_url(&self.database_url))
            .field("bind_addr", &self.bind_addr)
            .field("health_addr", &self.health_addr)
            .field("metrics_addr", &self.metrics_addr)
            .field("admin_token", &redacted(&self.admin_token))
            .field("webhook_secrets", &redacted(&self.webhook_secrets))
            .field("webhook_raw_secrets", &redacted(&self.webhook_raw_secrets))
            .field("rules_path", &self.rules_path)
            .field("reports_dir", &self.reports_dir)
            .field("timezone", &self.timezone)
            .field("event_retention_days", &self.event_retention_days)
            .field("log_level", &self.log_level)
            .field("log_format", &self.log_format)
            .field("database", &self.database)
            .field("ingest", &self.ingest)
            .field("discourse", &self.discourse)
            .field("classifier", &self.classifier)
            .field("enrichment", &self.enrichment)
            .field("digest", &self.digest)
            .field("delivery", &self.delivery)
            .field("outbound", &self.outbound)
            .field("storage", &self.storage)
            .field("aa_control_room_url", &self.aa_control_room_url)
            .field("aa_username", &self.aa_username)
            .field("aa_api_key", &redacted(&self.aa_api_key))
            .field("aa_email_bot_id", &self.aa_email_bot_id)
            .field("aa_teams_bot_id", &self.aa_teams_bot_id)
            .field("aa_run_as_user_ids", &self.aa_run_as_user_ids)
            .field("teams_webhook_url", &redacted(&self.teams_webhook_url))
            .field("smtp_url", &redact_url(&self.smtp_url))
            .field("digest_email_to", &redacted(&self.digest_email_to))
            .field("digest_email_from", &self.digest_email_from)
            .finish()
    }
}

/// The URL with any password replaced, for logs.
pub fn redact_url(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme_end), Some(at)) if at > scheme_end => {
            let userinfo = &url[scheme_end + 3..at];
            match userinfo.split_once(':') {
                Some((user, _)) => format!("{}{}:***{}", &url[..scheme_end + 3], user, &url[at..]),
                None => url.to_string(),
            }
        }
        _ => url.to_string(),
    }
}
