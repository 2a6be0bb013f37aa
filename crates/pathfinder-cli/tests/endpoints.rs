//! `pathfinder endpoints ...`: the secret is printed once and never listed; private targets are refused with a
//! stable code unless allowed; deliveries, resend, rotate-secret, enable and remove, each audited.

use std::process::{Command, Output};

use pathfinder_core::testing::TestDatabase;

fn run(database_url: &str, allow_private: bool, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_pathfinder"))
        .arg("endpoints")
        .args(args)
        .env("DATABASE_URL", database_url)
        .env("PATHFINDER_OUTBOUND__ALLOW_PRIVATE_TARGETS", allow_private.to_string())
        .env_remove("PATHFINDER_CONFIG")
        .output()
        .expect("run pathfinder")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[tokio::test]
async fn endpoints_are_added_listed_rotated_and_removed_and_private_targets_refused() {
    let db = TestDatabase::migrated().await;
    let refused = run(&db.url, false, &["add", "http://127.0.0.1:9/hook"]);
    assert!(!refused.status.success());
    assert!(text(&refused.stderr).contains("[private-target-refused]"), "{}", text(&refused.stderr));
    let unknown = run(&db.url, true, &["add", "http://127.0.0.1:9/hook", "--events", "detection.deleted"]);
    assert!(text(&unknown.stderr).contains("[unknown-event-type]"), "{}", text(&unknown.stderr));

    let added = run(&db.url, true, &["add", "http://127.0.0.1:9/hook", "--description", "CRM", "--json"]);
    assert!(added.status.success(), "{}", text(&added.stderr));
    let added: serde_json::Value = serde_json::from_slice(&added.stdout).expect("JSON");
    let secret = added["secret"].as_str().expect("secret printed once").to_owned();
    assert!(secret.starts_with("whsec_"));
    assert_eq!(added["events"], serde_json::json!(["detection.created", "digest.sent"]), "both by default");

    let listed = run(&db.url, false, &["list"]);
    let listed = text(&listed.stdout);
    assert!(listed.contains("http://127.0.0.1:9/hook") && listed.contains("CRM"), "{listed}");
    assert!(!listed.contains(&secret), "the secret is never listed");

    let client = db.connect().await;
    client
        .execute(
            "INSERT INTO detections (event_id, user_id, title, seniority, kind, rule, rules_version)
             VALUES (1, 'm1', 'CEO', 'c_suite', 'new', 'chief-executive', 'v1')",
            &[],
        )
        .await
        .expect("detection");
    let deliveries = text(&run(&db.url, false, &["deliveries", "1"]).stdout);
    assert!(deliveries.contains("pending") && deliveries.contains("detection 1"), "{deliveries}");
    let resend = run(&db.url, false, &["resend", "999"]);
    assert!(text(&resend.stderr).contains("[delivery-not-found]"));
    let rotated = text(&run(&db.url, false, &["rotate-secret", "1"]).stdout);
    assert!(rotated.contains("secret: whsec_") && !rotated.contains(&secret), "{rotated}");
    let enable = text(&run(&db.url, false, &["enable", "1"]).stdout);
    assert!(enable.contains("endpoint 1 enabled; 1 deliveries waiting"), "{enable}");
    let removed = text(&run(&db.url, false, &["remove", "1"]).stdout);
    assert!(removed.contains("endpoint 1 removed with its 1 deliveries"), "{removed}");
    let missing = run(&db.url, false, &["remove", "1"]);
    assert!(text(&missing.stderr).contains("[endpoint-not-found]"));

    let kinds: Vec<String> = client
        .query("SELECT kind FROM audit_log WHERE kind LIKE 'outbound.%' ORDER BY seq", &[])
        .await
        .expect("audit")
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert_eq!(
        kinds,
        [
            "outbound.endpoint.added",
            "outbound.endpoint.secret-rotated",
            "outbound.endpoint.enabled",
            "outbound.endpoint.removed"
        ]
    );
}
