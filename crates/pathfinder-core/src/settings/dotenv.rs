//! The `.env` file: settings a checkout gives its binaries without sourcing anything. `make run` and `make db` write
//! one at the repository root holding the local stack's `DATABASE_URL`, so `target/release/pathfinder ...` run
//! anywhere inside the checkout reaches that database.
//!
//! Which file: the one named by `PATHFINDER_ENV_FILE` (`none`: no file), else `.env` in the current directory or
//! the nearest parent folder that has one. It sits below the real environment: a setting given in the process's
//! environment (under any of its names, so `RUST_LOG` there also hides `LOG_LEVEL` in the file) is never taken from
//! the file. Only settings names are read from it; the process environment itself is left unchanged.

use std::path::{Path, PathBuf};

use super::env::key_path;
use super::{CONFIG_FILE_ENV, SettingsError};

/// Env var naming the `.env` file to read; `none` reads none.
pub const ENV_FILE_ENV: &str = "PATHFINDER_ENV_FILE";

/// The file's name, looked for in the current directory and its parents.
pub const FILE_NAME: &str = ".env";

/// The real environment with the `.env` file's settings beneath it: the file's pairs first, then the real ones,
/// so that a later layer (the real environment) wins wherever both set one setting.
pub fn beneath(real: Vec<(String, String)>, cwd: Option<&Path>) -> Result<Vec<(String, String)>, SettingsError> {
    let Some(path) = locate(&real, cwd) else {
        return Ok(real);
    };
    let from_file = read(&path)?;
    let set_for_real: Vec<Vec<String>> = real.iter().filter_map(|(name, _)| setting_of(name)).collect();
    let mut merged: Vec<(String, String)> = from_file
        .into_iter()
        .filter(|(name, _)| setting_of(name).is_some_and(|key| !set_for_real.contains(&key)))
        .collect();
    merged.extend(real);
    Ok(merged)
}

/// The setting an env var sets (`PATHFINDER_CONFIG` included), if it is one of ours.
fn setting_of(name: &str) -> Option<Vec<String>> {
    if name == CONFIG_FILE_ENV { Some(vec![CONFIG_FILE_ENV.to_string()]) } else { key_path(name) }
}

/// The file to read, if any.
fn locate(real: &[(String, String)], cwd: Option<&Path>) -> Option<PathBuf> {
    if let Some((_, named)) = real.iter().find(|(name, _)| name == ENV_FILE_ENV) {
        return match named.trim() {
            "" | "none" => None,
            path => Some(PathBuf::from(path)),
        };
    }
    cwd?.ancestors().map(|dir| dir.join(FILE_NAME)).find(|candidate| candidate.is_file())
}

fn read(path: &Path) -> Result<Vec<(String, String)>, SettingsError> {
    let problem = |error: dotenvy::Error| SettingsError::new(path.display().to_string(), error.to_string());
    dotenvy::from_path_iter(path).map_err(problem)?.map(|pair| pair.map_err(problem)).collect()
}
