//! `pathfinder reclassify` against a real database: a dry run reports and writes nothing; --apply writes.

use std::process::Command;

use pathfinder_core::testing::TestDatabase;

fn reclassify(database_url: &str, args: &[&str]) -> String {
    let output = Command::new(env!("CARGO_BIN_EXE_pathfinder"))
        .current_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."))
        .arg("reclassify")
        .args(args)
        .env("DATABASE_URL", database_url)
        .env_remove("RULES_PATH")
        .env_remove("PATHFINDER_CONFIG")
        .output()
        .expect("run pathfinder");
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    String::from_utf8(output.stdout).expect("utf-8")
}

async fn states(client: &tokio_postgres::Client) -> Vec<(String, String, String)> {
    client
        .query("SELECT user_id, seniority, rule FROM user_state ORDER BY user_id", &[])
        .await
        .expect("states")
        .iter()
        .map(|r| (r.get(0), r.get(1), r.get(2)))
        .collect()
}

#[tokio::test]
async fn dry_run_reports_and_apply_writes() {
    let db = TestDatabase::migrated().await;
    let client = db.connect().await;
    // As stored under older rules: a still-right VP, a title the current rules do not count, a CEO stored as vp.
    client
        .batch_execute(
            "INSERT INTO user_state (user_id, title, seniority, rule, rules_version, last_event_id, senior_since) VALUES
               ('a', 'VP Sales', 'vp', 'vice-president', 'old', 1, now()),
               ('b', 'Head of Sales', 'vp', 'head-of', 'old', 2, now()),
               ('c', 'Chief Executive Officer', 'vp', 'old-rule', 'old', 3, now())",
        )
        .await
        .expect("seed");
    let before = states(&client).await;

    let lines: Vec<serde_json::Value> =
        reclassify(&db.url, &["--json"]).lines().map(|l| serde_json::from_str(l).expect("json line")).collect();
    assert_eq!(lines.len(), 3, "two changes and the summary: {lines:?}");
    assert_eq!((lines[0]["userId"].as_str(), lines[0]["action"].as_str()), (Some("b"), Some("remove")));
    assert_eq!((lines[1]["userId"].as_str(), lines[1]["to"].as_str()), (Some("c"), Some("c_suite")));
    assert_eq!(lines[2]["examined"], 3);
    assert_eq!(lines[2]["applied"], false);
    assert_eq!(states(&client).await, before, "a dry run writes nothing");

    let text = reclassify(&db.url, &["--apply"]);
    assert!(text.contains("1 unchanged, 1 change level or rule, 1 no longer senior (applied)"), "{text}");
    assert_eq!(
        states(&client).await,
        vec![
            ("a".to_string(), "vp".to_string(), "vice-president".to_string()),
            ("c".to_string(), "c_suite".to_string(), "chief-executive".to_string()),
        ]
    );
    let detections: i64 = client.query_one("SELECT count(*) FROM detections", &[]).await.expect("count").get(0);
    assert_eq!(detections, 0, "a rules change is not a career event: no detection");
    let again = reclassify(&db.url, &[]);
    assert!(
        again.contains("2 seniors examined") && again.contains("0 change level or rule, 0 no longer senior"),
        "{again}"
    );
}
