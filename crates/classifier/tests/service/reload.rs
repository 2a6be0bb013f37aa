//! Rules reload on SIGHUP in a running classifier process; each detection records the rule and rules version.

use std::process::Command;
use std::time::Duration;

use pathfinder_core::testing::TestDatabase;

use crate::helpers::{insert_events, rules_path, spawn_process_with_log, wait_until_drained};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sighup_reloads_the_rules_without_a_restart() {
    let db = TestDatabase::migrated().await;
    let client = db.connect().await;
    let dir = std::env::temp_dir().join(format!("pf-rules-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).expect("dir");
    let rules_file = dir.join("classification.toml");
    let shipped = std::fs::read_to_string(rules_path()).expect("shipped rules");
    std::fs::write(&rules_file, &shipped).expect("write rules");
    let (process, log) = spawn_process_with_log(&db.url, &rules_file, &[]);

    insert_events(&client, &[("h1", Some("Head of Sales"))]).await;
    wait_until_drained(&client, Duration::from_secs(20)).await;
    let before: i64 = client.query_one("SELECT count(*) FROM detections", &[]).await.expect("count").get(0);
    assert_eq!(before, 0, "Head of is not senior under the shipped rules");

    let version_line = shipped.lines().find(|l| l.starts_with("version = ")).expect("a version line");
    let edited = shipped
        .replacen(version_line, r#"version = "test-reloaded""#, 1)
        .replace(r#"pattern = '\b(vp|svp|evp)s?\b'"#, r#"pattern = '\b(vp|svp|evp)s?\b|\bhead of\b'"#);
    assert!(edited.contains("test-reloaded") && edited.contains(r"\bhead of\b"), "the edit applies");
    std::fs::write(&rules_file, edited).expect("edit rules");
    let status = Command::new("kill").args(["-HUP", &process.0.id().to_string()]).status().expect("kill -HUP");
    assert!(status.success());
    // Wait for the reload itself (it used to be a 500 ms sleep, which a loaded machine can outrun).
    log.wait_for(&["rules reloaded", "test-reloaded"], Duration::from_secs(20));

    insert_events(&client, &[("h2", Some("Head of Sales"))]).await;
    wait_until_drained(&client, Duration::from_secs(20)).await;
    let row =
        client.query_one("SELECT user_id, rule, rules_version FROM detections", &[]).await.expect("one detection");
    assert_eq!(
        (row.get::<_, String>(0), row.get::<_, String>(1), row.get::<_, String>(2)),
        ("h2".into(), "vice-president".into(), "test-reloaded".into())
    );
    let _ = std::fs::remove_dir_all(dir);
}
