//! Where report files go: the local `REPORTS_DIR` (default) or S3-compatible object storage (object_store).
//!
//! Local files are `$REPORTS_DIR/YYYY-MM/senior-executives-YYYY-MM.{csv,html}` (a month-to-date report:
//! `senior-executives-YYYY-MM-to-date.{csv,html}`, so it never replaces the month-end files), each written to a temporary name and
//! renamed into place, so a reader never sees half a file and a regeneration replaces the old one whole. Objects use
//! the same relative path under `s3_prefix`; an S3 PUT replaces the object atomically. Uploads are retried by
//! object_store (timeouts and 5xx); a report whose files cannot be written fails its job, which rolls back its row.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use object_store::aws::AmazonS3Builder;
use object_store::path::Path as ObjectPath;
use object_store::{ObjectStore, ObjectStoreExt, PutPayload, RetryConfig};
use pathfinder_core::settings::StorageSettings;

pub enum ReportStorage {
    Local { root: PathBuf },
    S3 { store: Arc<dyn ObjectStore>, bucket: String, prefix: String },
}

/// The path of a month's report file: `YYYY-MM/senior-executives-<stem>.<extension>`, `stem` being the month key
/// (month-end) or `YYYY-MM-to-date` (month-to-date).
pub fn relative_path(month_key: &str, stem: &str, extension: &str) -> String {
    format!("{month_key}/senior-executives-{stem}.{extension}")
}

impl ReportStorage {
    pub fn from_settings(storage: &StorageSettings, reports_dir: &str) -> anyhow::Result<Self> {
        if storage.backend != "s3" {
            return Ok(Self::Local { root: PathBuf::from(reports_dir) });
        }
        // from_env: the standard AWS_* variables, so ECS task roles (AWS_CONTAINER_CREDENTIALS_RELATIVE_URI) and
        // Kubernetes web identities (AWS_WEB_IDENTITY_TOKEN_FILE, AWS_ROLE_ARN) work; the settings below win.
        let mut builder = AmazonS3Builder::from_env()
            .with_bucket_name(&storage.s3_bucket)
            .with_region(&storage.s3_region)
            .with_allow_http(storage.s3_allow_http)
            .with_retry(RetryConfig { max_retries: 4, ..RetryConfig::default() });
        if !storage.s3_endpoint.is_empty() {
            builder = builder.with_endpoint(&storage.s3_endpoint).with_virtual_hosted_style_request(false);
        }
        let access_key = non_empty(&storage.s3_access_key_id).or_else(|| std::env::var("AWS_ACCESS_KEY_ID").ok());
        let secret = non_empty(&storage.s3_secret_access_key).or_else(|| std::env::var("AWS_SECRET_ACCESS_KEY").ok());
        if let (Some(access_key), Some(secret)) = (access_key, secret) {
            builder = builder.with_access_key_id(access_key).with_secret_access_key(secret);
        }
        let store =
            builder.build().map_err(|e| anyhow::anyhow!("S3 storage settings (PATHFINDER_STORAGE__S3_*): {e}"))?;
        Ok(Self::S3 { store: Arc::new(store), bucket: storage.s3_bucket.clone(), prefix: storage.s3_prefix.clone() })
    }

    /// Writes one report file (see [`relative_path`]); returns its URI (`file:///...` or `s3://bucket/key`).
    pub async fn put(&self, month_key: &str, stem: &str, extension: &str, body: Vec<u8>) -> anyhow::Result<String> {
        let relative = relative_path(month_key, stem, extension);
        match self {
            Self::Local { root } => write_local(root, &relative, &body),
            Self::S3 { store, bucket, prefix } => {
                let key = format!("{prefix}{relative}");
                store
                    .put(&ObjectPath::from(key.as_str()), PutPayload::from(body))
                    .await
                    .map_err(|e| anyhow::anyhow!("upload of s3://{bucket}/{key} failed: {e}"))?;
                Ok(format!("s3://{bucket}/{key}"))
            }
        }
    }
}

/// Writes `root/relative` through a temporary file renamed into place; returns its `file://` URI.
pub fn write_local(root: &Path, relative: &str, body: &[u8]) -> anyhow::Result<String> {
    let path = root.join(relative);
    let dir = path.parent().unwrap_or(root).to_path_buf();
    std::fs::create_dir_all(&dir).map_err(|e| anyhow::anyhow!("cannot create {}: {e}", dir.display()))?;
    let name = path.file_name().map(|n| n.to_string_lossy().to_string()).unwrap_or_default();
    let temporary = dir.join(format!(".{name}.{}.tmp", uuid::Uuid::new_v4().simple()));
    std::fs::write(&temporary, body).map_err(|e| anyhow::anyhow!("cannot write {}: {e}", temporary.display()))?;
    std::fs::rename(&temporary, &path)
        .map_err(|e| anyhow::anyhow!("cannot move {} into place: {e}", path.display()))?;
    let absolute = std::fs::canonicalize(&path).unwrap_or(path);
    Ok(format!("file://{}", absolute.display()))
}

fn non_empty(value: &str) -> Option<String> {
    Some(value.trim().to_string()).filter(|v| !v.is_empty())
}

impl ReportStorage {
    /// Deletes the file behind `uri` (report retention). A file already gone is not an error; a URI outside this
    /// storage (another folder, another bucket) is refused and left alone.
    pub async fn delete(&self, uri: &str) -> anyhow::Result<()> {
        match self {
            Self::Local { root } => {
                let Some(path) = uri.strip_prefix("file://").map(PathBuf::from) else {
                    anyhow::bail!("not a local report URI: {uri}");
                };
                let root = std::fs::canonicalize(root).unwrap_or_else(|_| root.clone());
                if !path.starts_with(&root) {
                    anyhow::bail!("{} is outside REPORTS_DIR {}", path.display(), root.display());
                }
                match std::fs::remove_file(&path) {
                    Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                        Err(anyhow::anyhow!("cannot delete {}: {e}", path.display()))
                    }
                    _ => Ok(()),
                }
            }
            Self::S3 { store, bucket, .. } => {
                let Some(key) = uri.strip_prefix(&format!("s3://{bucket}/")) else {
                    anyhow::bail!("{uri} is not in bucket {bucket}");
                };
                match store.delete(&ObjectPath::from(key)).await {
                    Err(object_store::Error::NotFound { .. }) | Ok(()) => Ok(()),
                    Err(e) => Err(anyhow::anyhow!("cannot delete {uri}: {e}")),
                }
            }
        }
    }
}
