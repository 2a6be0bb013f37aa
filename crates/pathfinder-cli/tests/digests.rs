//! `pathfinder digests retry <id>`: only failed digests go back to the queue, with their attempts reset.

use std::process::Command;

use pathfinder_core::testing::TestDatabase;

fn retry(database_url: &str, id: &str) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_pathfinder"))
        .args(["digests", "retry", id])
        .env("DATABASE_URL", database_url)
        .env_remove("PATHFINDER_CONFIG")
        .output()
        .expect("run pathfinder")
}

#[tokio::test]
async fn a_failed_digest_is_queued_again_and_others_are_refused() {
    let db = TestDatabase::migrated().await;
    let client = db.connect().await;
    client
        .batch_execute(
            "INSERT INTO digests (id, channel, status, run_key, detection_count, attempts, last_error) VALUES
               (1, 'email', 'failed', '2026-W48', 3, 6, 'HTTP 503'),
               (2, 'teams', 'sent', '2026-W48', 3, 1, NULL)",
        )
        .await
        .expect("seed");
    let ok = retry(&db.url, "1");
    assert!(ok.status.success(), "{}", String::from_utf8_lossy(&ok.stderr));
    let row =
        client.query_one("SELECT status, attempts, last_error FROM digests WHERE id = 1", &[]).await.expect("row");
    assert_eq!(
        (row.get::<_, String>(0), row.get::<_, i32>(1), row.get::<_, Option<String>>(2)),
        ("pending".into(), 0, None)
    );
    let sent = retry(&db.url, "2");
    assert!(!sent.status.success());
    assert!(String::from_utf8_lossy(&sent.stderr).contains("digest 2 is sent"));
    let missing = retry(&db.url, "99");
    assert!(String::from_utf8_lossy(&missing.stderr).contains("there is no digest 99"));
}

#[tokio::test]
async fn backfill_moves_a_channel_start_back_and_refuses_an_unknown_channel() {
    let db = TestDatabase::migrated().await;
    let run = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_pathfinder"))
            .args(["digests", "backfill"])
            .args(args)
            .env("DATABASE_URL", &db.url)
            .env_remove("PATHFINDER_CONFIG")
            .output()
            .expect("run pathfinder")
    };
    let ok = run(&["teams", "--since", "2025-01-01T00:00:00Z"]);
    assert!(ok.status.success(), "{}", String::from_utf8_lossy(&ok.stderr));
    assert!(String::from_utf8_lossy(&ok.stdout).contains("teams digests carry detections from 2025-01-01"));
    let all = run(&["teams"]);
    assert!(String::from_utf8_lossy(&all.stdout).contains("from -infinity on"), "everything still stored");
    let client = db.connect().await;
    let audit: i64 = client
        .query_one("SELECT count(*) FROM audit_log WHERE kind = 'admin.channel-backfill'", &[])
        .await
        .expect("audit")
        .get(0);
    assert_eq!(audit, 2);
    let unknown = run(&["slack"]);
    assert!(!unknown.status.success());
    assert!(String::from_utf8_lossy(&unknown.stderr).contains("unknown channel \"slack\""));
}
