//! Typed, layered settings.
//!
//! Layers, later ones winning: the defaults compiled in from `config/default.toml`, then the TOML file named by
//! `PATHFINDER_CONFIG` (if set), then a `.env` file (see [`dotenv`]), then environment variables. The contract's names (`DATABASE_URL`, `BIND_ADDR`,
//! ...) always work as plain env vars; every other key is reachable as `PATHFINDER_<SECTION>__<KEY>`, for example
//! `PATHFINDER_INGEST__BATCH_MAX_ROWS=256`. Validation runs once at start and names the first bad setting.

pub mod dotenv;
mod env;
mod model;
mod validate;
mod webhook_secrets;

pub use model::{
    ClassifierSettings, DatabaseSettings, DeliverySettings, DigestSettings, DiscourseSettings, EnrichmentSettings,
    IngestSettings, LogFormat, OutboundSettings, Settings, StorageSettings, redact_url,
};
pub use webhook_secrets::{WebhookSecrets, decode_standard_secret};

use figment::Figment;
use figment::providers::{Format, Toml};

/// The defaults, compiled in so that a binary runs without any file beside it.
pub const DEFAULT_TOML: &str = include_str!("../../../config/default.toml");

/// Env var naming an extra TOML file layered over the defaults.
pub const CONFIG_FILE_ENV: &str = "PATHFINDER_CONFIG";

/// A setting that is missing or malformed. `Display` is the one line printed at start.
#[derive(Debug, thiserror::Error)]
#[error("configuration error: {setting}: {problem}")]
pub struct SettingsError {
    pub setting: String,
    pub problem: String,
}

impl SettingsError {
    pub fn new(setting: impl Into<String>, problem: impl Into<String>) -> Self {
        Self { setting: setting.into(), problem: problem.into() }
    }
}

impl Settings {
    /// Loads defaults, the optional file, the `.env` file and the process environment, then validates.
    pub fn load() -> Result<Self, SettingsError> {
        Self::load_layers(process_environment()?, true)
    }

    /// For commands that never touch the database (`pathfinder classify`): `DATABASE_URL` may be unset.
    pub fn load_offline() -> Result<Self, SettingsError> {
        Self::load_layers(process_environment()?, false)
    }

    /// Like [`Settings::load`], with the environment given explicitly (tests use this).
    pub fn load_from(vars: impl IntoIterator<Item = (String, String)>) -> Result<Self, SettingsError> {
        Self::load_layers(vars, true)
    }

    fn load_layers(
        vars: impl IntoIterator<Item = (String, String)>,
        require_database: bool,
    ) -> Result<Self, SettingsError> {
        let vars: Vec<(String, String)> = vars.into_iter().collect();
        let mut figment = Figment::new().merge(Toml::string(DEFAULT_TOML));
        if let Some((_, path)) = vars.iter().find(|(k, v)| k == CONFIG_FILE_ENV && !v.is_empty()) {
            if !std::path::Path::new(path).is_file() {
                return Err(SettingsError::new(CONFIG_FILE_ENV, format!("file {path} does not exist")));
            }
            figment = figment.merge(Toml::file(path));
        }
        figment = figment.merge(env::EnvProvider::from_vars(vars));
        let settings: Settings = figment.extract_lossy().map_err(figment_error)?;
        settings.validate(require_database)?;
        Ok(settings)
    }
}

/// The process's environment with the `.env` file found from the current directory beneath it.
fn process_environment() -> Result<Vec<(String, String)>, SettingsError> {
    dotenv::beneath(std::env::vars().collect(), std::env::current_dir().ok().as_deref())
}

fn figment_error(error: figment::Error) -> SettingsError {
    let setting = if error.path.is_empty() { "config".to_string() } else { env::display_name(&error.path.join(".")) };
    SettingsError::new(setting, error.kind.to_string())
}

#[cfg(test)]
mod tests;
