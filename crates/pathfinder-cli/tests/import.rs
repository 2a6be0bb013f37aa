//! `pathfinder import` against a real database: the roster becomes the baseline without detections; a promotion
//! after the import is reported as one by the classifier's own path; a second run changes nothing; bad rows are
//! reported by line, and `--strict` writes nothing; a state newer than the file is kept.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use pathfinder_core::testing::TestDatabase;

const RULES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../config/classification.toml");

fn pathfinder(db: &TestDatabase, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_pathfinder"))
        .args(args)
        .env("DATABASE_URL", &db.url)
        .env("RULES_PATH", RULES)
        .env("USER", "import-test")
        .env_remove("PATHFINDER_CONFIG")
        .output()
        .expect("run pathfinder")
}

fn json_of(output: &Output) -> serde_json::Value {
    assert!(
        output.status.success(),
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).expect("json summary")
}

fn roster(db: &TestDatabase, name: &str, text: &str) -> PathBuf {
    let path = std::env::temp_dir().join(format!("pf-import-{}-{name}.csv", db.name));
    std::fs::write(&path, text).expect("write roster");
    path
}

fn arg(path: &Path) -> &str {
    path.to_str().expect("utf-8 path")
}

async fn states(client: &tokio_postgres::Client) -> BTreeSet<(String, String, String, String)> {
    client
        .query("SELECT source, user_id, seniority, updated_at::text FROM user_state", &[])
        .await
        .expect("states")
        .iter()
        .map(|r| (r.get(0), r.get(1), r.get(2), r.get(3)))
        .collect()
}

async fn count(client: &tokio_postgres::Client, sql: &str) -> i64 {
    client.query_one(sql, &[]).await.expect("count").get(0)
}

const ROSTER: &str = "\u{feff}Title;userId;Username\n\
                      Chief Executive Officer;c-1;Grace Hopperton\n\
                      VP of Sales;v-1;Vic Presley\n\
                      Software Engineer;e-1;Eve Coder\n";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_roster_is_the_baseline_and_a_later_promotion_is_one() {
    let db = TestDatabase::migrated().await;
    let client = db.connect().await;
    let file = roster(&db, "baseline", ROSTER);
    let first = json_of(&pathfinder(&db, &["import", arg(&file), "--as-of", "2026-11-01T00:00:00Z", "--json"]));
    assert_eq!(
        (first["rows"].clone(), first["added"].clone(), first["notSenior"].clone()),
        (3.into(), 2.into(), 1.into())
    );
    assert_eq!(count(&client, "SELECT count(*) FROM detections").await, 0, "the baseline writes no detection");
    let stored = states(&client).await;
    let keys: Vec<(&str, &str, &str)> = stored.iter().map(|s| (s.0.as_str(), s.1.as_str(), s.2.as_str())).collect();
    assert_eq!(keys, [("community", "c-1", "c_suite"), ("community", "v-1", "vp")]);
    let audit: serde_json::Value = client
        .query_one("SELECT details FROM audit_log WHERE kind = 'roster.import'", &[])
        .await
        .expect("audit")
        .get(0);
    assert_eq!((audit["added"].clone(), audit["source"].clone()), (2.into(), "community".into()));
    assert!(!audit.to_string().contains("Grace") && !audit.to_string().contains("c-1"), "counts only: {audit}");

    // Idempotent: the same file again changes nothing, not even updated_at.
    let again = json_of(&pathfinder(&db, &["import", arg(&file), "--as-of", "2026-11-01T00:00:00Z", "--json"]));
    assert_eq!(
        (again["added"].clone(), again["updated"].clone(), again["unchanged"].clone()),
        (0.into(), 0.into(), 2.into())
    );
    assert_eq!(states(&client).await, stored);

    // The VP is promoted: the classifier's own path reports a promotion, not a new senior.
    client
        .batch_execute(
            "INSERT INTO events_raw (source, dedupe_key, user_id, username, profile_field, value)
             VALUES ('community', 'k-promo', 'v-1', 'Vic Presley', 'Job Title', 'Chief Revenue Officer')",
        )
        .await
        .expect("event");
    let rules = pathfinder_classify::Classifier::load(Path::new(RULES)).expect("rules");
    let mut worker = db.connect().await;
    let tx = worker.transaction().await.expect("tx");
    let members = BTreeSet::from([("community".to_string(), "v-1".to_string())]);
    pathfinder_members::batch::apply_members(&tx, "import-test", &members, &rules, false).await.expect("apply");
    tx.commit().await.expect("commit");
    let kind: (String, Option<String>) = client
        .query_one("SELECT kind, previous_seniority FROM detections", &[])
        .await
        .map(|r| (r.get(0), r.get(1)))
        .expect("one detection");
    assert_eq!(kind, ("promotion".into(), Some("vp".into())));

    // A file older than that state keeps it; a dry run writes nothing.
    let old = json_of(&pathfinder(&db, &["import", arg(&file), "--as-of", "2026-11-01T00:00:00Z", "--json"]));
    assert_eq!(old["keptNewer"], 1, "{old}");
    let dry =
        json_of(&pathfinder(&db, &["import", arg(&file), "--as-of", "2099-01-01T00:00:00Z", "--dry-run", "--json"]));
    assert_eq!((dry["updated"].clone(), dry["auditSeq"].clone()), (1.into(), serde_json::Value::Null), "{dry}");
    assert_eq!(
        count(&client, "SELECT count(*) FROM user_state WHERE seniority = 'c_suite'").await,
        2,
        "dry run wrote nothing"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_rows_are_reported_by_line_and_strict_refuses_the_file() {
    let db = TestDatabase::migrated().await;
    let client = db.connect().await;
    let file = roster(
        &db,
        "bad",
        "user_id,title\n1,Chief Financial Officer\n,VP of Marketing\n3\n4,Chief Technology Officer\n",
    );
    let strict = pathfinder(&db, &["import", arg(&file), "--strict", "--as-of", "2026-11-01T00:00:00Z"]);
    assert!(!strict.status.success(), "--strict refuses a file with bad rows");
    let stderr = String::from_utf8_lossy(&strict.stderr);
    assert!(stderr.contains("line 3: empty user id") && stderr.contains("line 4: 1 fields"), "{stderr}");
    assert_eq!(count(&client, "SELECT count(*) FROM user_state").await, 0, "--strict wrote nothing");
    assert_eq!(count(&client, "SELECT count(*) FROM audit_log WHERE kind = 'roster.import'").await, 0);

    let lenient = json_of(&pathfinder(&db, &["import", arg(&file), "--as-of", "2026-11-01T00:00:00Z", "--json"]));
    assert_eq!((lenient["badRows"].clone(), lenient["added"].clone()), (2.into(), 2.into()), "{lenient}");
    assert_eq!(lenient["bad"][0], serde_json::json!({"line": 3, "reason": "empty user id"}));

    let discourse = roster(
        &db,
        "discourse",
        "id,name,username,email,title,Job Title (custom user field),group_names\n1,Ann,ann,a@example.com,,VP of Engineering,staff\n",
    );
    let summary = json_of(&pathfinder(&db, &["import", arg(&discourse), "--format", "discourse-export", "--json"]));
    assert_eq!(summary["added"], 1);
    assert_eq!(
        count(&client, "SELECT count(*) FROM user_state WHERE user_id = '1'").await,
        2,
        "community 1 and discourse 1"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_senior_the_newer_file_shows_not_senior_is_removed_across_batches() {
    let db = TestDatabase::migrated().await;
    let client = db.connect().await;
    // More rows than one batch: s-1 is a senior in the first batch and not senior on the last line (a later batch).
    let mut text = String::from("userId,title\ns-1,Chief Executive Officer\nkeep,VP of Sales\ngone,VP of Sales\n");
    for i in 0..pathfinder_members::import::BATCH_ROWS {
        text.push_str(&format!("e-{i},Software Engineer\n"));
    }
    text.push_str("s-1,Software Engineer\n");
    let file = roster(&db, "batches", &text);
    let first = json_of(&pathfinder(&db, &["import", arg(&file), "--as-of", "2026-11-01T00:00:00Z", "--json"]));
    assert_eq!((first["added"].clone(), first["removed"].clone()), (3.into(), 1.into()), "{first}");
    let ids = |rows: Vec<tokio_postgres::Row>| rows.iter().map(|r| r.get::<_, String>(0)).collect::<Vec<_>>();
    let stored = ids(client.query("SELECT user_id FROM user_state ORDER BY 1", &[]).await.expect("ids"));
    assert_eq!(stored, ["gone", "keep"], "the last row of s-1 wins");

    // A newer file shows `gone` not senior: removed; an older one would have kept it.
    let newer = roster(&db, "newer", "userId,title\ngone,Software Engineer\nkeep,VP of Sales\n");
    let older = json_of(&pathfinder(&db, &["import", arg(&newer), "--as-of", "2026-10-01T00:00:00Z", "--json"]));
    assert_eq!((older["removed"].clone(), older["keptNewer"].clone()), (0.into(), 2.into()), "{older}");
    let later = json_of(&pathfinder(&db, &["import", arg(&newer), "--as-of", "2026-11-02T00:00:00Z", "--json"]));
    assert_eq!((later["removed"].clone(), later["unchanged"].clone()), (1.into(), 1.into()), "{later}");
    let stored = ids(client.query("SELECT user_id FROM user_state ORDER BY 1", &[]).await.expect("ids"));
    assert_eq!(stored, ["keep"]);
    assert_eq!(count(&client, "SELECT count(*) FROM detections").await, 0);
}
