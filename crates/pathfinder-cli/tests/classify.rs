//! `pathfinder classify` as an operator runs it: no database needed, one JSON object per title.

use std::io::Write;
use std::process::{Command, Stdio};

fn pathfinder() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_pathfinder"));
    command
        .current_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."))
        .env_remove("DATABASE_URL")
        .env_remove("PATHFINDER_CONFIG")
        .env_remove("RULES_PATH");
    command
}

#[test]
fn one_title_prints_one_object_in_contract_order() {
    let output = pathfinder().args(["classify", "Co-Founder & CEO"]).output().expect("run");
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let text = String::from_utf8(output.stdout).expect("utf-8");
    assert!(
        text.starts_with(
            r#"{"title":"Co-Founder & CEO","seniority":"c_suite","rule":"chief-executive","rulesVersion":"#
        ),
        "{text}"
    );
    let json: serde_json::Value = serde_json::from_str(&text).expect("json");
    assert!(json["reason"].as_str().is_some_and(|r| !r.is_empty()));
    assert_eq!(json["family"], "chief_officer", "the guide's family that decided, beside the rule");
}

#[test]
fn a_file_prints_json_lines_with_exclusions_explained() {
    let mut child = pathfinder()
        .args(["classify", "--file", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("run");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all("Vizepräsidentin Vertrieb\nAssistant to the CEO\n\n".as_bytes())
        .expect("write");
    let output = child.wait_with_output().expect("wait");
    assert!(output.status.success());
    let lines: Vec<serde_json::Value> = String::from_utf8(output.stdout)
        .expect("utf-8")
        .lines()
        .map(|l| serde_json::from_str(l).expect("json line"))
        .collect();
    assert_eq!(lines.len(), 3, "one object per input line, empty lines included");
    assert_eq!(lines[0]["seniority"], "vp");
    assert_eq!(lines[1]["seniority"], serde_json::Value::Null);
    assert_eq!(lines[1]["excludedBy"][0]["rule"], "assistant-to");
    assert_eq!(lines[2]["seniority"], serde_json::Value::Null);
}

#[test]
fn a_missing_rules_file_is_one_clear_error() {
    let output =
        pathfinder().args(["classify", "CEO"]).env("RULES_PATH", "/nonexistent/rules.toml").output().expect("run");
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("RULES_PATH=/nonexistent/rules.toml") && stderr.contains("No such file"), "{stderr}");
}
