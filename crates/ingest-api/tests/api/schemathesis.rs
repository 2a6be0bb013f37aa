//! Property-based fuzzing of every documented operation with schemathesis (in .venv/, from `make test`): it reads
//! /openapi.json from the running service, sends generated valid and invalid requests to each route (with the
//! admin token, so the admin routes are reached too) and fails on any 5xx answer, and on any answer whose status,
//! content type or body the document does not describe.

use std::process::Command;

use crate::helpers::spawn_app_with;

const TOKEN: &str = "schemathesis-test-token";

/// Besides "no 5xx": every answer's status is one the document lists for the operation, its Content-Type is the
/// documented one, and its body validates against the documented schema (schemathesis 4 check names).
const CHECKS: &str = "not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn schemathesis_finds_no_server_error() {
    let app = spawn_app_with(&[("ADMIN_TOKEN", TOKEN)]).await;
    let schema = format!("{}/openapi.json", app.address);
    let dir = std::env::temp_dir().join(format!("pf-schemathesis-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let workdir = dir.clone();
    let output = tokio::task::spawn_blocking(move || {
        Command::new(pathfinder_core::testing::python_tool("schemathesis"))
            .current_dir(&dir)
            .env("NO_COLOR", "1")
            .args(["run", &schema, "--checks", CHECKS, "--max-examples", "15", "--seed", "20261124"])
            .args(["--header", &format!("Authorization: Bearer {TOKEN}")])
            .args(["--request-timeout", "10", "--generation-database", "none", "--no-color", "--workers", "1"])
            // The dashboard's form posts need a CSRF token and a session cookie, so most generated forms are
            // refused before any logic runs; schemathesis's "too many filtered" health check would stop there.
            .args(["--suppress-health-check", "filter_too_much"])
            .output()
    })
    .await
    .expect("join")
    .expect("schemathesis runs (make test installs it into .venv/: tests/python-requirements.txt)");
    let _ = std::fs::remove_dir_all(&workdir);
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "schemathesis found failures:\n{stdout}\n{stderr}");
    // Every operation of the document was selected and tested ("Selected: N/N", "Tested: N").
    let count_after = |label: &str| -> Option<usize> {
        let rest = &stdout[stdout.find(label)? + label.len()..];
        rest.trim_start().split(|c: char| !c.is_ascii_digit()).next()?.parse().ok()
    };
    let selected = count_after("Selected:");
    assert!(selected.is_some_and(|n| n >= 15), "schemathesis selected too few operations:\n{stdout}");
    assert_eq!(count_after("Tested:"), selected, "schemathesis did not test every operation:\n{stdout}");
    assert!(stdout.contains(&format!("Selected: {0}/{0}", selected.unwrap_or(0))), "{stdout}");
}
