//! Where report files go. Local storage writes `$REPORTS_DIR/YYYY-MM/senior-executives-YYYY-MM.{csv,html}`, each
//! through a temporary file renamed into place, so a reader never sees half a file and a regeneration replaces the
//! old one whole.

use std::path::{Path, PathBuf};

pub struct LocalStorage {
    pub root: PathBuf,
}

impl LocalStorage {
    /// Writes the file for `month_key` with `extension`; returns its URI (`file:///...`).
    pub fn put(&self, month_key: &str, extension: &str, body: &[u8]) -> anyhow::Result<String> {
        let dir = self.root.join(month_key);
        std::fs::create_dir_all(&dir).map_err(|e| anyhow::anyhow!("cannot create {}: {e}", dir.display()))?;
        let path = dir.join(format!("senior-executives-{month_key}.{extension}"));
        let temporary =
            dir.join(format!(".senior-executives-{month_key}.{extension}.{}.tmp", uuid::Uuid::new_v4().simple()));
        std::fs::write(&temporary, body).map_err(|e| anyhow::anyhow!("cannot write {}: {e}", temporary.display()))?;
        std::fs::rename(&temporary, &path)
            .map_err(|e| anyhow::anyhow!("cannot move {} into place: {e}", path.display()))?;
        Ok(file_uri(&path))
    }
}

fn file_uri(path: &Path) -> String {
    let absolute = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
    format!("file://{}", absolute.display())
}
