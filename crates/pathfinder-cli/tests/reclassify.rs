//! `pathfinder reclassify` against a real database: a dry run reports and writes nothing; --apply writes.

use std::process::Command;

use pathfinder_core::testing::TestDatabase;

const SHIPPED_RULES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../config/classification.toml");

fn reclassify(database_url: &str, args: &[&str]) -> String {
    reclassify_with_rules(database_url, SHIPPED_RULES, args)
}

fn reclassify_with_rules(database_url: &str, rules_path: &str, args: &[&str]) -> String {
    let output = Command::new(env!("CARGO_BIN_EXE_pathfinder"))
        .current_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."))
        .arg("reclassify")
        .args(args)
        .env("DATABASE_URL", database_url)
        .env("RULES_PATH", rules_path)
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

/// The shipped rules with one `[families]` line changed, written where RULES_PATH can name it.
fn rules_with_family(dir: &std::path::Path, key: &str, value: &str) -> String {
    let shipped = std::fs::read_to_string(SHIPPED_RULES).expect("shipped rules");
    let line = shipped.lines().find(|l| l.starts_with(&format!("{key} = "))).expect("family key").to_string();
    let path = dir.join(format!("rules-{key}-{value}.toml"));
    std::fs::write(&path, shipped.replacen(&line, &format!("{key} = \"{value}\""), 1)).expect("write rules");
    path.display().to_string()
}

fn reclassify_json(database_url: &str, rules_path: &str) -> Vec<serde_json::Value> {
    reclassify_with_rules(database_url, rules_path, &["--json"])
        .lines()
        .map(|l| serde_json::from_str(l).expect("json line"))
        .collect()
}

#[tokio::test]
async fn changing_a_family_moves_exactly_its_members() {
    let db = TestDatabase::migrated().await;
    let client = db.connect().await;
    client
        .batch_execute(
            "INSERT INTO user_state (user_id, title, seniority, rule, rules_version, last_event_id, senior_since) VALUES
               ('ceo', 'Chief Executive Officer', 'c_suite', 'chief-executive', 'v', 1, now()),
               ('md', 'Managing Director DACH', 'c_suite', 'managing-director', 'v', 2, now()),
               ('owner', 'Inhaberin', 'c_suite', 'owner', 'v', 3, now()),
               ('founder-ceo', 'Founder & CEO', 'c_suite', 'chief-executive', 'v', 4, now()),
               ('vp', 'VP Sales', 'vp', 'vice-president', 'v', 5, now())",
        )
        .await
        .expect("seed");
    let dir = std::env::temp_dir().join(format!("pf-families-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");

    let shipped = reclassify_json(&db.url, SHIPPED_RULES);
    assert_eq!(shipped.len(), 1, "the shipped rules move nobody: {shipped:?}");

    let banking = reclassify_json(&db.url, &rules_with_family(&dir, "managing_director", "vp"));
    assert_eq!(banking.len(), 2, "one change and the summary: {banking:?}");
    assert_eq!(banking[0]["userId"], "md");
    assert_eq!((banking[0]["from"].as_str(), banking[0]["to"].as_str()), (Some("c_suite"), Some("vp")));

    let no_owners = reclassify_json(&db.url, &rules_with_family(&dir, "owners_and_founders", "none"));
    assert_eq!(no_owners.len(), 2, "one removal and the summary: {no_owners:?}");
    assert_eq!((no_owners[0]["userId"].as_str(), no_owners[0]["action"].as_str()), (Some("owner"), Some("remove")));
    std::fs::remove_dir_all(&dir).ok();
}
