//! A rules file the classifier cannot use stops the binary at start, with one line naming the problem.

use std::process::{Command, Stdio};

use crate::helpers::rules_path;

#[test]
fn an_unknown_family_key_or_value_stops_the_binary_in_one_line() {
    let shipped = std::fs::read_to_string(rules_path()).expect("shipped rules");
    let dir = std::env::temp_dir().join(format!("pf-classifier-startup-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    for (from, to, named) in [
        ("head_of = \"none\"", "heads_of = \"none\"", "[families] heads_of: unknown key"),
        ("partners = \"none\"", "partners = \"maybe\"", "[families] partners = \"maybe\": unknown value"),
    ] {
        let path = dir.join("rules.toml");
        let rules = shipped.replacen(from, to, 1);
        assert_ne!(rules, shipped, "{from} must be in the shipped rules");
        std::fs::write(&path, rules).expect("write rules");
        // The rules are read before the database is reached: no server is needed to see the refusal.
        let output = Command::new(env!("CARGO_BIN_EXE_classifier"))
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("DATABASE_URL", "postgres://nobody@127.0.0.1:1/none")
            .env("RULES_PATH", &path)
            .env("LOG_LEVEL", "off")
            .stdin(Stdio::null())
            .output()
            .expect("run the classifier binary");
        assert!(!output.status.success(), "the classifier must refuse {to}");
        let stderr = String::from_utf8_lossy(&output.stderr);
        let lines: Vec<&str> = stderr.lines().filter(|l| !l.trim().is_empty()).collect();
        assert_eq!(lines.len(), 1, "one line: {stderr}");
        assert!(lines[0].contains(named) && lines[0].contains("RULES_PATH="), "{stderr}");
    }
    std::fs::remove_dir_all(&dir).ok();
}
