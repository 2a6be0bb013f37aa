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
