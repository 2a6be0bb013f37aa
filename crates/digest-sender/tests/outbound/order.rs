//! A member's events reach an endpoint in order: while an earlier one is waiting for a retry, the member's later
//! ones wait too; other members' events are not held up.

use pathfinder_core::testing::TestDatabase;
use serde_json::Value;

use crate::helpers::{add_endpoint, detect, drain, due_now, worker};
use crate::receiver::Receiver;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_members_events_arrive_in_order_and_others_are_not_held_up() {
    let db = TestDatabase::migrated().await;
    let receiver = Receiver::start();
    let added = add_endpoint(&db, &receiver.url("/hook"), "detection.created").await;
    receiver.secrets(&[&added.secret]).await;
    receiver.fail("seconds=600&status=503&match=alice-7f").await;
    let ids = detect(
        &db,
        &[
            ("community", "alice-7f"),
            ("community", "bob-3c"),
            ("community", "alice-7f"),
            ("community", "bob-3c"),
            ("community", "alice-7f"),
        ],
    )
    .await;
    let worker = worker(&db, true);
    drain(&worker).await;

    let user = |r: &Value| r["body"]["data"]["userId"].as_str().unwrap_or_default().to_owned();
    let detection = |r: &Value| r["body"]["data"]["detectionId"].as_i64().unwrap_or_default();
    let requests = receiver.requests().await;
    let bob: Vec<i64> = requests.iter().filter(|r| user(r) == "bob-3c").map(detection).collect();
    assert_eq!(bob, vec![ids[1], ids[3]], "bob's events are not held up by alice's");
    let alice: Vec<i64> = requests.iter().filter(|r| user(r) == "alice-7f").map(detection).collect();
    assert_eq!(alice, vec![ids[0]], "alice's later events wait while her first is failing");

    receiver.recover().await;
    for _ in 0..3 {
        due_now(&db).await;
        drain(&worker).await;
    }
    let requests = receiver.requests().await;
    let alice: Vec<(i64, i64)> = requests
        .iter()
        .filter(|r| user(r) == "alice-7f")
        .map(|r| (detection(r), r["answered"].as_i64().unwrap_or_default()))
        .collect();
    assert_eq!(alice, vec![(ids[0], 503), (ids[0], 204), (ids[2], 204), (ids[4], 204)]);
    assert!(requests.iter().all(|r| r["verified"] == true));
}
