//! Promotion, demotion, removal, unchanged titles and replays, end to end through the database.

use std::time::Duration;

use pathfinder_core::testing::TestDatabase;

use crate::helpers::{d, detections_of, insert_events, start, state_of, wait_until_drained};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn new_senior_then_promotion_records_rule_and_version() {
    let db = TestDatabase::migrated().await;
    let client = db.connect().await;
    let _classifier = start(&db, &[]).await;
    insert_events(
        &client,
        &[("u1", Some("Engineer")), ("u1", Some("VP of Sales")), ("u1", Some("Chief Executive Officer"))],
    )
    .await;
    wait_until_drained(&client, Duration::from_secs(20)).await;
    assert_eq!(detections_of(&client, "u1").await, vec![d("new", "vp", None), d("promotion", "c_suite", Some("vp"))]);
    assert_eq!(state_of(&client, "u1").await, Some(("c_suite".into(), "Chief Executive Officer".into())));
    let row = client
        .query_one("SELECT rule, rules_version, title, username FROM detections WHERE kind = 'promotion'", &[])
        .await
        .expect("promotion row");
    assert_eq!(row.get::<_, String>(0), "chief-executive");
    let version =
        pathfinder_classify::Classifier::load(&crate::helpers::rules_path()).expect("rules").version().to_string();
    assert_eq!(row.get::<_, String>(1), version);
    assert_eq!(row.get::<_, String>(2), "Chief Executive Officer");
    assert_eq!(row.get::<_, Option<String>>(3).as_deref(), Some("u1-name"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn demotion_writes_no_detection_and_non_senior_is_removed() {
    let db = TestDatabase::migrated().await;
    let client = db.connect().await;
    let _classifier = start(&db, &[]).await;
    insert_events(
        &client,
        &[("a", Some("CEO")), ("a", Some("VP Marketing")), ("b", Some("CFO")), ("b", Some("Software Engineer"))],
    )
    .await;
    wait_until_drained(&client, Duration::from_secs(20)).await;
    assert_eq!(detections_of(&client, "a").await, vec![d("new", "c_suite", None)], "demotion writes none");
    assert_eq!(state_of(&client, "a").await, Some(("vp".into(), "VP Marketing".into())));
    assert_eq!(detections_of(&client, "b").await, vec![d("new", "c_suite", None)]);
    assert_eq!(state_of(&client, "b").await, None, "no longer senior: removed from user_state");
    let processed: i64 = client
        .query_one("SELECT count(*) FROM events_raw WHERE status = 'processed'", &[])
        .await
        .expect("count")
        .get(0);
    assert_eq!(processed, 4);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unchanged_titles_and_a_b_a_changes_follow_the_latest_title() {
    let db = TestDatabase::migrated().await;
    let client = db.connect().await;
    let _classifier = start(&db, &[]).await;
    // Discourse resends the whole profile: the same title again and again.
    insert_events(&client, &[("d", Some("CTO")), ("d", Some("CTO")), ("d", Some("CTO"))]).await;
    // A -> B -> A ends in A's state.
    insert_events(&client, &[("e", Some("VP Sales")), ("e", Some("Account Manager")), ("e", Some("VP Sales"))]).await;
    // Cleared title (null value).
    insert_events(&client, &[("f", Some("President")), ("f", None)]).await;
    wait_until_drained(&client, Duration::from_secs(20)).await;
    assert_eq!(detections_of(&client, "d").await, vec![d("new", "c_suite", None)]);
    assert_eq!(state_of(&client, "e").await, Some(("vp".into(), "VP Sales".into())));
    assert_eq!(detections_of(&client, "e").await.len(), 2, "senior again after a non-senior spell is new again");
    assert_eq!(state_of(&client, "f").await, None);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replayed_events_produce_no_second_detection() {
    let db = TestDatabase::migrated().await;
    let client = db.connect().await;
    let _classifier = start(&db, &[]).await;
    insert_events(&client, &[("r", Some("VP Engineering")), ("r", Some("Chief Technology Officer"))]).await;
    wait_until_drained(&client, Duration::from_secs(20)).await;
    let before = detections_of(&client, "r").await;
    assert_eq!(before.len(), 2);
    // An operator replays every event (e.g. after restoring a backup).
    client.batch_execute("UPDATE events_raw SET status = 'pending', processed_at = NULL").await.expect("replay");
    wait_until_drained(&client, Duration::from_secs(20)).await;
    assert_eq!(detections_of(&client, "r").await, before);
    let total: i64 = client.query_one("SELECT count(*) FROM detections", &[]).await.expect("count").get(0);
    assert_eq!(total, 2);
}

/// Only NOTIFY can wake the worker here (a 10-minute poll). Without NOTIFY a worker still makes a few passes of its
/// own: one at start and at most two when its LISTEN connection comes up (it wakes the workers in case events
/// arrived before LISTEN took effect). The old test (one event after a 300 ms sleep) passed with NOTIFY broken
/// whenever LISTEN came up after the insert. Four events, each inserted once the previous one is processed, outlast
/// those free passes: the last can only have been picked up by a notification.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn notify_wakes_the_classifier_without_waiting_for_a_poll() {
    let db = TestDatabase::migrated().await;
    let client = db.connect().await;
    let settings = [("PATHFINDER_CLASSIFIER__POLL_INTERVAL_MS", "600000"), ("PATHFINDER_CLASSIFIER__WORKERS", "1")];
    let _classifier = start(&db, &settings).await;
    for member in ["n1", "n2", "n3", "n4"] {
        insert_events(&client, &[(member, Some("Chief Operating Officer"))]).await;
        wait_until_drained(&client, Duration::from_secs(10)).await;
        assert_eq!(detections_of(&client, member).await, vec![d("new", "c_suite", None)]);
    }
}
