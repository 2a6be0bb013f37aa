//! PostgreSQL stopped under the API: 503 with Retry-After and nothing stored, then recovery with no restart.

use std::time::{Duration, Instant};

use pathfinder_core::testing::{PrivateCluster, TestDatabase};

use crate::helpers::{seed, spawn_app_on};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn database_down_gives_503_then_recovers_by_itself() {
    let cluster = PrivateCluster::start();
    let db = TestDatabase::migrated_on(&cluster.admin_url()).await;
    let app = spawn_app_on(db, &[("PATHFINDER_INGEST__RETRY_AFTER_SECS", "7")]).await;

    let before = app.post_community(&seed("o-1", "Job Title", Some("CEO"))).await;
    assert_eq!(before.status, 202);

    cluster.stop();
    let during = app.post_community(&seed("o-2", "Job Title", Some("CFO"))).await;
    assert_eq!(during.status, 503, "{}", during.json);
    assert_eq!(during.code(), "database-unavailable");
    assert_eq!(during.headers.get("retry-after").and_then(|v| v.to_str().ok()), Some("7"));
    assert_eq!(app.get("/ready").await.status(), 503);
    assert_eq!(app.get("/health").await.status(), 200, "the process itself is alive");

    cluster.start_server();
    let deadline = Instant::now() + Duration::from_secs(30);
    let after = loop {
        let reply = app.post_community(&seed("o-3", "Job Title", Some("CTO"))).await;
        if reply.status != 503 || Instant::now() > deadline {
            break reply;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    assert_eq!(after.status, 202, "recovered without a restart: {}", after.json);
    assert_eq!(app.get("/ready").await.status(), 200);

    let client = app.db.connect().await;
    let users: Vec<String> = client
        .query("SELECT user_id FROM events_raw ORDER BY id", &[])
        .await
        .expect("rows")
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert_eq!(users, vec!["o-1".to_string(), "o-3".to_string()], "the 503'd event was not stored");
}
