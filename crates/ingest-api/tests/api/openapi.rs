//! GET /openapi.json describes the routes the server registers (collected from their one registration, so it
//! cannot list a route that is not served, nor miss one: the contract's routes are checked by name below), every
//! described route is served, and the document is valid OpenAPI (checked with openapi-spec-validator, which
//! `make test` installs).

use std::collections::BTreeSet;

/// The routes of the outside contract (docs and CONTRACT.md), which the document must describe.
const CONTRACT_ROUTES: [(&str, &str); 10] = [
    ("post", "/webhooks/community"),
    ("post", "/webhooks/discourse"),
    ("get", "/health"),
    ("get", "/ready"),
    ("get", "/metrics"),
    ("get", "/openapi.json"),
    ("get", "/admin/stats"),
    ("get", "/admin/recent-detections"),
    ("post", "/admin/send-digests"),
    ("post", "/admin/generate-reports"),
];

use crate::helpers::spawn_app_with;

const TOKEN: &str = "openapi-test-token";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_document_matches_the_routes_and_validates() {
    let app = spawn_app_with(&[("ADMIN_TOKEN", TOKEN)]).await;
    let response = app.get("/openapi.json").await;
    assert_eq!(response.status(), 200);
    let document: serde_json::Value = response.json().await.expect("json");
    assert!(document["openapi"].as_str().unwrap_or("").starts_with("3."), "{}", document["openapi"]);

    let mut documented = BTreeSet::new();
    for (path, operations) in document["paths"].as_object().expect("paths") {
        for method in operations.as_object().expect("operations").keys() {
            documented.insert((method.clone(), path.clone()));
        }
    }
    for (method, path) in CONTRACT_ROUTES {
        assert!(documented.contains(&(method.to_string(), path.to_string())), "{method} {path} is not documented");
    }
    assert!(documented.len() >= 19, "every route is documented: {documented:?}");

    for (method, path) in &documented {
        let method_name = reqwest::Method::from_bytes(method.to_uppercase().as_bytes()).expect("method");
        // A path parameter is sent as a harmless literal member id.
        let concrete = path.replace("{userId}", "openapi-probe");
        let request = app.http.request(method_name, format!("{}{concrete}", app.address));
        let answer = request.bearer_auth(TOKEN).send().await.expect("request");
        let status = answer.status().as_u16();
        let body: serde_json::Value = answer.json().await.unwrap_or(serde_json::Value::Null);
        assert!(
            !(status == 404 && body["error"]["message"] == "no such route"),
            "{method} {path} is documented but not served"
        );
    }
    let examples = document["components"]["schemas"]["CommunityWebhook"]["example"].clone();
    assert_eq!(examples["profileField"], "Job Title", "schemas carry examples");
    assert!(document["components"]["securitySchemes"]["admin_token"].is_object());

    let file = std::env::temp_dir().join(format!("pf-openapi-{}.json", uuid::Uuid::new_v4().simple()));
    std::fs::write(&file, serde_json::to_vec_pretty(&document).expect("json")).expect("write");
    let output = std::process::Command::new(pathfinder_core::testing::python_tool("python3"))
        .args(["-m", "openapi_spec_validator"])
        .arg(&file)
        .output()
        .expect("python3 -m openapi_spec_validator (make test installs it into .venv/)");
    let _ = std::fs::remove_file(&file);
    assert!(
        output.status.success(),
        "the document does not validate:\n{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}
