//! Environment variables as a figment provider, values kept as strings.
//!
//! figment's own `Env` provider parses values ("123" becomes a number), which would break a secret or token that
//! happens to be numeric; here every value stays a string and `extract_lossy` converts where a field wants a
//! number or a bool.

use figment::value::{Dict, Map, Value};
use figment::{Error, Metadata, Profile, Provider};

/// Contract env vars that map to a top-level key of the same name, lower-cased.
pub const PLAIN_NAMES: &[&str] = &[
    "DATABASE_URL",
    "BIND_ADDR",
    "HEALTH_ADDR",
    "METRICS_ADDR",
    "ADMIN_TOKEN",
    "WEBHOOK_SECRETS",
    "WEBHOOK_RAW_SECRETS",
    "RULES_PATH",
    "REPORTS_DIR",
    "TIMEZONE",
    "EVENT_RETENTION_DAYS",
    "LOG_LEVEL",
    "LOG_FORMAT",
    "AA_CONTROL_ROOM_URL",
    "AA_USERNAME",
    "AA_API_KEY",
    "AA_EMAIL_BOT_ID",
    "AA_TEAMS_BOT_ID",
    "AA_RUN_AS_USER_IDS",
    "TEAMS_WEBHOOK_URL",
    "SMTP_URL",
    "DIGEST_EMAIL_TO",
    "DIGEST_EMAIL_FROM",
];

/// `RUST_LOG`, the name every Rust operator reaches for, sets `log_level` like its alias `LOG_LEVEL`; where both
/// are set, `RUST_LOG` wins.
pub const RUST_LOG: &str = "RUST_LOG";

/// Prefix for every other key: `PATHFINDER_INGEST__BATCH_MAX_ROWS` sets `ingest.batch_max_rows`.
pub const PREFIX: &str = "PATHFINDER_";

pub struct EnvProvider {
    dict: Dict,
}

impl EnvProvider {
    pub fn from_vars(mut vars: Vec<(String, String)>) -> Self {
        // Later pairs win: RUST_LOG goes after LOG_LEVEL whatever the order of the environment.
        vars.sort_by_key(|(name, _)| name == RUST_LOG);
        let mut dict = Dict::new();
        for (name, value) in vars {
            let Some(path) = key_path(&name) else {
                continue;
            };
            insert(&mut dict, &path, value);
        }
        Self { dict }
    }
}

/// The dotted key an env var sets, if it is one of ours.
pub(super) fn key_path(name: &str) -> Option<Vec<String>> {
    if name == RUST_LOG {
        return Some(vec!["log_level".to_string()]);
    }
    if PLAIN_NAMES.contains(&name) {
        return Some(vec![name.to_ascii_lowercase()]);
    }
    let rest = name.strip_prefix(PREFIX)?;
    if rest == "CONFIG" || rest == "ENV_FILE" || rest.is_empty() {
        return None;
    }
    Some(rest.split("__").map(str::to_ascii_lowercase).collect())
}

fn insert(dict: &mut Dict, path: &[String], value: String) {
    match path {
        [] => {}
        [last] => {
            dict.insert(last.clone(), Value::from(value));
        }
        [first, rest @ ..] => {
            let entry = dict.entry(first.clone()).or_insert_with(|| Value::from(Dict::new()));
            if let Value::Dict(_, inner) = entry {
                insert(inner, rest, value);
            }
        }
    }
}

/// How a dotted key is written as an env var, for error messages.
pub fn display_name(dotted: &str) -> String {
    let upper = dotted.to_ascii_uppercase();
    if PLAIN_NAMES.contains(&upper.as_str()) { upper } else { format!("{PREFIX}{}", upper.replace('.', "__")) }
}

impl Provider for EnvProvider {
    fn metadata(&self) -> Metadata {
        Metadata::named("environment variable(s)")
    }

    fn data(&self) -> Result<Map<Profile, Dict>, Error> {
        let mut map = Map::new();
        map.insert(Profile::Default, self.dict.clone());
        Ok(map)
    }
}
