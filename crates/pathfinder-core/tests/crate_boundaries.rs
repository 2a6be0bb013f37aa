//! No service crate (ingest-api, classifier, digest-sender, report-builder) and not the CLI depends on a service
//! crate: what they share lives in pathfinder-core or a domain crate (pathfinder-classify, pathfinder-digests,
//! pathfinder-members, pathfinder-reports). Read from `cargo metadata`, so a new `[dependencies]` line fails here.
//! No workspace crate at all may depend on a service, so none can bring one in on the way either.
//!
//! Dev-dependencies are allowed: an end-to-end test may start another service (ingest-api's tests run the
//! classifier behind it); that never links one service's code into another's binary.

use std::process::Command;

use serde_json::Value;

const SERVICES: [&str; 4] = ["ingest-api", "classifier", "digest-sender", "report-builder"];
/// The crates the rule is about (every workspace crate is checked; these must exist, or the test checks nothing).
const CHECKED: [&str; 5] = ["ingest-api", "classifier", "digest-sender", "report-builder", "pathfinder-cli"];

/// `package -> service` for every normal or build dependency of a workspace package on a service crate.
fn violations(metadata: &Value) -> Vec<String> {
    let packages = metadata["packages"].as_array().map(Vec::as_slice).unwrap_or_default();
    packages
        .iter()
        .flat_map(|package| {
            let name = package["name"].as_str().unwrap_or_default();
            let dependencies = package["dependencies"].as_array().map(Vec::as_slice).unwrap_or_default();
            dependencies
                .iter()
                .filter(|dependency| dependency["kind"].as_str() != Some("dev"))
                .filter_map(|dependency| dependency["name"].as_str())
                .filter(|dependency| SERVICES.contains(dependency))
                .map(move |dependency| format!("{name} -> {dependency}"))
        })
        .collect()
}

fn workspace_metadata() -> Value {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_string());
    let manifest = concat!(env!("CARGO_MANIFEST_DIR"), "/../../Cargo.toml");
    let output = Command::new(cargo)
        .args(["metadata", "--format-version", "1", "--no-deps", "--offline", "--manifest-path", manifest])
        .output()
        .expect("cargo metadata runs");
    assert!(output.status.success(), "cargo metadata: {}", String::from_utf8_lossy(&output.stderr));
    serde_json::from_slice(&output.stdout).expect("cargo metadata prints JSON")
}

#[test]
fn no_service_crate_and_not_the_cli_depends_on_a_service_crate() {
    let metadata = workspace_metadata();
    let names: Vec<&str> =
        metadata["packages"].as_array().expect("packages").iter().filter_map(|p| p["name"].as_str()).collect();
    for checked in CHECKED {
        assert!(names.contains(&checked), "{checked} is a workspace member (else this test checks nothing)");
    }
    assert_eq!(
        violations(&metadata),
        Vec::<String>::new(),
        "service crates must share code through core or a domain crate"
    );
}

#[test]
fn a_normal_or_build_dependency_on_a_service_is_reported_and_a_dev_dependency_is_not() {
    let metadata = serde_json::json!({"packages": [
        {"name": "pathfinder-cli", "dependencies": [
            {"name": "digest-sender", "kind": null}, {"name": "pathfinder-digests", "kind": null}]},
        {"name": "ingest-api", "dependencies": [
            {"name": "report-builder", "kind": "build"}, {"name": "classifier", "kind": "dev"}]},
        {"name": "pathfinder-digests", "dependencies": [{"name": "digest-sender", "kind": null}]}
    ]});
    assert_eq!(
        violations(&metadata),
        vec!["pathfinder-cli -> digest-sender", "ingest-api -> report-builder", "pathfinder-digests -> digest-sender"]
    );
}
