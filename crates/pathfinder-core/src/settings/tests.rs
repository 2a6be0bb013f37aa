use super::*;
use figment::Provider;
use figment::providers::Toml;

fn vars(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
}

const URL: (&str, &str) = ("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/pathfinder");

#[test]
fn defaults_load_with_only_a_database_url() {
    let settings = Settings::load_from(vars(&[URL])).expect("defaults are valid");
    assert_eq!(settings.bind_addr, "0.0.0.0:8080");
    assert_eq!(settings.timezone, "America/New_York");
    assert_eq!(settings.event_retention_days, 14);
    assert_eq!(settings.ingest.max_body_bytes, 65536);
    assert_eq!(settings.ingest.dedupe_window_hours, 72);
    assert!(settings.admin_token().is_none());
    assert!(!settings.webhook_secrets().enabled());
}

#[test]
fn missing_database_url_names_the_setting() {
    let error = Settings::load_from(vars(&[])).expect_err("must fail");
    assert_eq!(error.setting, "DATABASE_URL");
    assert!(error.to_string().starts_with("configuration error: DATABASE_URL"));
}

#[test]
fn plain_env_names_override_and_numeric_secrets_stay_strings() {
    let settings = Settings::load_from(vars(&[
        URL,
        ("ADMIN_TOKEN", "123456"),
        ("WEBHOOK_SECRETS", "b2xk, whsec_bmV3"),
        ("WEBHOOK_RAW_SECRETS", "123456"),
        ("EVENT_RETENTION_DAYS", "30"),
        ("BIND_ADDR", "127.0.0.1:9000"),
    ]))
    .expect("valid");
    assert_eq!(settings.admin_token(), Some("123456"));
    let secrets = settings.webhook_secrets();
    assert_eq!(secrets.standard, vec![b"old".to_vec(), b"new".to_vec()]);
    assert_eq!(secrets.raw, vec![b"123456".to_vec()]);
    assert_eq!(settings.event_retention_days, 30);
    assert_eq!(settings.bind_addr, "127.0.0.1:9000");
}

#[test]
fn prefixed_nested_keys_override_sections() {
    let settings = Settings::load_from(vars(&[URL, ("PATHFINDER_INGEST__BATCH_MAX_ROWS", "7")])).expect("valid");
    assert_eq!(settings.ingest.batch_max_rows, 7);
}

#[test]
fn bad_values_name_their_env_var() {
    let error = Settings::load_from(vars(&[URL, ("BIND_ADDR", "nowhere")])).expect_err("must fail");
    assert_eq!(error.setting, "BIND_ADDR");
    let error = Settings::load_from(vars(&[URL, ("EVENT_RETENTION_DAYS", "many")])).expect_err("must fail");
    assert_eq!(error.setting, "EVENT_RETENTION_DAYS");
    let error = Settings::load_from(vars(&[URL, ("TIMEZONE", "America/Nowhere")])).expect_err("must fail");
    assert_eq!(error.setting, "TIMEZONE");
    // A GitHub-style secret in the Standard Webhooks setting: stops the binary (it used to verify nothing).
    let error = Settings::load_from(vars(&[URL, ("WEBHOOK_SECRETS", "gh-secret")])).expect_err("must fail");
    assert_eq!(error.setting, "WEBHOOK_SECRETS");
    assert!(error.to_string().starts_with("configuration error: WEBHOOK_SECRETS: entry 1"), "{error}");
    let error = Settings::load_from(vars(&[URL, ("TIMEZONE", "America/Nowhere")])).expect_err("must fail");
    assert_eq!(error.setting, "TIMEZONE");
    let error = Settings::load_from(vars(&[URL, ("PATHFINDER_INGEST__BATCH_WRITERS", "0")])).expect_err("must fail");
    assert_eq!(error.setting, "PATHFINDER_INGEST__BATCH_WRITERS");
}

#[test]
fn config_file_layer_sits_between_defaults_and_env() {
    let dir = std::env::temp_dir().join(format!("pf-settings-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let file = dir.join("local.toml");
    std::fs::write(&file, "timezone = \"Europe/Paris\"\nbind_addr = \"127.0.0.1:1\"\n").expect("write");
    let path = file.to_string_lossy().to_string();
    let settings =
        Settings::load_from(vars(&[URL, ("PATHFINDER_CONFIG", &path), ("BIND_ADDR", "127.0.0.1:2")])).expect("valid");
    assert_eq!(settings.timezone, "Europe/Paris");
    assert_eq!(settings.bind_addr, "127.0.0.1:2");
    let missing = Settings::load_from(vars(&[URL, ("PATHFINDER_CONFIG", "/nonexistent.toml")])).expect_err("fail");
    assert_eq!(missing.setting, "PATHFINDER_CONFIG");
}

#[test]
fn debug_output_redacts_secrets() {
    let settings = Settings::load_from(vars(&[
        ("DATABASE_URL", "postgres://app:hunter2@db:5432/pf"),
        ("ADMIN_TOKEN", "tok-secret"),
        ("WEBHOOK_SECRETS", "whsec_abc"),
        ("WEBHOOK_RAW_SECRETS", "gh-raw-secret"),
    ]))
    .expect("valid");
    let shown = format!("{settings:?}");
    assert!(!shown.contains("hunter2") && !shown.contains("tok-secret") && !shown.contains("whsec_abc"), "{shown}");
    assert!(!shown.contains("gh-raw-secret"), "{shown}");
}

/// Every key of config/default.toml, as its env var name.
fn default_keys_as_env_names() -> Vec<String> {
    use figment::value::{Dict, Value};
    fn walk(prefix: &str, dict: &Dict, out: &mut Vec<String>) {
        for (key, value) in dict {
            let path = if prefix.is_empty() { key.clone() } else { format!("{prefix}.{key}") };
            match value {
                Value::Dict(_, inner) => walk(&path, inner, out),
                _ => out.push(env::display_name(&path)),
            }
        }
    }
    let data = figment::Figment::from(Toml::string(DEFAULT_TOML)).data().expect("default.toml parses");
    let mut names = Vec::new();
    for dict in data.values() {
        walk("", dict, &mut names);
    }
    names
}

#[test]
fn readme_configuration_table_lists_every_default_key() {
    let readme = include_str!("../../../../README.md");
    let missing: Vec<String> =
        default_keys_as_env_names().into_iter().filter(|name| !readme.contains(&format!("| `{name}` |"))).collect();
    assert!(missing.is_empty(), "README.md's configuration table lacks: {missing:?}");
}

#[test]
fn every_default_key_has_a_comment_above_it() {
    let mut previous = "";
    for line in DEFAULT_TOML.lines() {
        let trimmed = line.trim();
        let is_key = !trimmed.is_empty() && !trimmed.starts_with('#') && !trimmed.starts_with('[');
        if is_key {
            assert!(previous.starts_with('#'), "key without a comment: {trimmed}");
        }
        if !trimmed.is_empty() {
            previous = trimmed;
        }
    }
}

/// A fresh folder with a `.env` holding `text`, and a subfolder (a binary run deeper in the checkout).
fn folder_with_env_file(text: &str) -> (std::path::PathBuf, std::path::PathBuf) {
    let root = std::env::temp_dir().join(format!("pf-dotenv-{}", uuid::Uuid::new_v4().simple()));
    let nested = root.join("crates/deeper");
    std::fs::create_dir_all(&nested).expect("folders");
    std::fs::write(root.join(".env"), text).expect(".env");
    (root, nested)
}

fn load_in(dir: &std::path::Path, real: &[(&str, &str)]) -> Result<Settings, SettingsError> {
    Settings::load_from(dotenv::beneath(vars(real), Some(dir))?)
}

#[test]
fn dotenv_in_a_parent_folder_gives_settings_below_the_real_environment() {
    let (root, nested) = folder_with_env_file(
        "# Written by scripts/db.sh\nDATABASE_URL=postgres://postgres@127.0.0.1:55432/pathfinder\n\
         export BIND_ADDR=127.0.0.1:9999\nPF_ADMIN_DATABASE_URL=postgres://ignored\n",
    );
    let settings = load_in(&nested, &[]).expect("the .env gives DATABASE_URL");
    assert_eq!(settings.database_url, "postgres://postgres@127.0.0.1:55432/pathfinder");
    assert_eq!(settings.bind_addr, "127.0.0.1:9999", "export lines are read too");
    let settings = load_in(&root, &[URL]).expect("valid");
    assert_eq!(settings.database_url, URL.1, "a real env var wins over the file");
    assert_eq!(settings.bind_addr, "127.0.0.1:9999");
    let error = load_in(&root, &[("PATHFINDER_ENV_FILE", "none")]).expect_err("no file read");
    assert_eq!(error.setting, "DATABASE_URL");
    let _ = std::fs::remove_dir_all(root);
}

#[test]
fn a_bad_log_filter_stops_the_binary_naming_rust_log() {
    for (name, filter) in [("RUST_LOG", "ingest_api=loud"), ("LOG_LEVEL", "info,=")] {
        let error = Settings::load_from(vars(&[URL, (name, filter)])).expect_err("must fail");
        assert_eq!(error.setting, "RUST_LOG", "{error}");
        assert!(error.to_string().contains(filter), "{error}");
    }
}

#[test]
fn rust_log_wins_over_log_level_and_the_real_environment_over_the_file() {
    let settings = Settings::load_from(vars(&[("RUST_LOG", "debug"), URL, ("LOG_LEVEL", "warn")])).expect("valid");
    assert_eq!(settings.log_level, "debug", "RUST_LOG wins over its alias LOG_LEVEL");
    let settings = Settings::load_from(vars(&[URL, ("LOG_LEVEL", "warn")])).expect("valid");
    assert_eq!(settings.log_level, "warn", "LOG_LEVEL alone still works");
    let (root, _) = folder_with_env_file("RUST_LOG=trace\n");
    let settings = load_in(&root, &[URL, ("LOG_LEVEL", "error")]).expect("valid");
    assert_eq!(settings.log_level, "error", "a log level set for real hides both names in the file");
    let settings = load_in(&root, &[URL]).expect("valid");
    assert_eq!(settings.log_level, "trace");
    let _ = std::fs::remove_dir_all(root);
}

#[test]
fn a_malformed_dotenv_names_the_file() {
    let (root, _) = folder_with_env_file("DATABASE_URL='unterminated\n");
    let error = load_in(&root, &[]).expect_err("must fail");
    assert!(error.setting.ends_with(".env"), "{error}");
    let _ = std::fs::remove_dir_all(root);
}

#[test]
fn discourse_reconciliation_needs_its_forum_and_key_and_never_shows_the_key() {
    let on = ("PATHFINDER_DISCOURSE__RECONCILE_ENABLED", "true");
    let error = Settings::load_from(vars(&[URL, on])).expect_err("no forum");
    assert_eq!(error.setting, "PATHFINDER_DISCOURSE__BASE_URL");
    let forum = ("PATHFINDER_DISCOURSE__BASE_URL", "https://forum.example.com");
    let error = Settings::load_from(vars(&[URL, on, forum])).expect_err("no key");
    assert_eq!(error.setting, "PATHFINDER_DISCOURSE__API_KEY");
    let key = ("PATHFINDER_DISCOURSE__API_KEY", "0123456789abcdef");
    let error = Settings::load_from(vars(&[URL, on, forum, key, ("PATHFINDER_DISCOURSE__RECONCILE_HOUR", "24")]))
        .expect_err("no 24th hour");
    assert_eq!(error.setting, "PATHFINDER_DISCOURSE__RECONCILE_HOUR");
    let settings = Settings::load_from(vars(&[URL, on, forum, key])).expect("valid");
    assert_eq!(settings.discourse.api_key, "0123456789abcdef", "a numeric-looking key stays a string");
    assert!(!format!("{settings:?}").contains("0123456789abcdef"));
}
