//! A worker that dies between claim and commit: its events wait out the lease, then are processed exactly once.

use std::time::{Duration, Instant};

use classifier::queue;
use pathfinder_core::testing::TestDatabase;

use crate::helpers::{d, detections_of, insert_events, start, wait_until_drained};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dead_workers_claim_returns_after_the_lease_and_is_processed_once() {
    let db = TestDatabase::migrated().await;
    let client = db.connect().await;
    insert_events(&client, &[("c", Some("Chief Financial Officer"))]).await;
    // The "dead" worker: it claimed (committed) and then never applied anything.
    let claimed = queue::claim(&client, "dead-worker", 3, 10).await.expect("claim");
    assert_eq!(claimed.len(), 1);
    let claimed_at = Instant::now();

    let _classifier = start(&db, &[("PATHFINDER_CLASSIFIER__LEASE_SECS", "3")]).await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let status: String = client.query_one("SELECT status FROM events_raw", &[]).await.expect("status").get(0);
    assert_eq!(status, "pending", "nobody touches a claimed event before its lease ends");

    wait_until_drained(&client, Duration::from_secs(20)).await;
    assert!(claimed_at.elapsed() >= Duration::from_secs(3), "processed only after the lease");
    assert_eq!(detections_of(&client, "c").await, vec![d("new", "c_suite", None)]);
    let row = client.query_one("SELECT attempts, locked_by FROM events_raw", &[]).await.expect("row");
    assert_eq!(row.get::<_, i32>(0), 2, "claimed twice, applied once");
    assert_eq!(row.get::<_, Option<String>>(1), None);
}
