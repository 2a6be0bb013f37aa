//! Idempotency: repeats of one delivery store one row, sequentially and under 50 concurrent copies; a body hash
//! names a delivery only within the window and while it is the member's latest event.

use std::collections::HashSet;

use serde_json::json;

use crate::helpers::{seed, spawn_app};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sequential_repeat_is_a_duplicate_with_the_same_event_id() {
    let app = spawn_app().await;
    let body = seed("u-1", "Job Title", Some("VP Marketing"));
    let first = app.post_community(&body).await;
    let second = app.post_community(&body).await;
    assert_eq!((first.status, second.status), (202, 200));
    assert_eq!(second.json["status"], "duplicate");
    assert_eq!(first.event_id(), second.event_id());
    assert_eq!(app.count_events().await, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fifty_concurrent_copies_store_one_row_and_all_succeed() {
    let app = spawn_app().await;
    let body = seed("u-2", "Job Title", Some("Chief Operating Officer")).to_string();
    let replies =
        futures_util::future::join_all((0..50).map(|_| app.post_json("/webhooks/community", &[], body.clone()))).await;
    let accepted = replies.iter().filter(|r| r.status == 202).count();
    let duplicates = replies.iter().filter(|r| r.status == 200 && r.json["status"] == "duplicate").count();
    assert_eq!((accepted, duplicates), (1, 49));
    let ids: HashSet<i64> = replies.iter().map(|r| r.event_id()).collect();
    assert_eq!(ids.len(), 1, "every copy names the same event");
    assert_eq!(app.count_events().await, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fifty_concurrent_copies_with_a_delivery_id_store_one_row() {
    let app = spawn_app().await;
    let app = &app;
    let replies = futures_util::future::join_all((0..50).map(|n| async move {
        // A sender that re-serialises on retry: the bodies differ, the delivery id does not.
        let body = json!({"userId": "u-3", "profileField": "Title", "value": "CTO", "attempt": n}).to_string();
        app.post_json("/webhooks/community", &[("webhook-id", "msg_2Kq".to_string())], body).await
    }))
    .await;
    assert_eq!(replies.iter().filter(|r| r.status == 202).count(), 1);
    assert_eq!(replies.iter().filter(|r| r.status == 200).count(), 49);
    assert_eq!(app.count_events().await, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn distinct_delivery_ids_are_distinct_deliveries() {
    let app = spawn_app().await;
    let body = seed("u-4", "Title", Some("CTO")).to_string();
    for id in ["d-1", "d-2"] {
        let reply = app.post_json("/webhooks/community", &[("x-github-delivery", id.to_string())], body.clone()).await;
        assert_eq!(reply.status, 202);
    }
    assert_eq!(app.count_events().await, 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn same_body_after_the_window_is_a_new_event() {
    let app = spawn_app().await;
    let body = seed("u-5", "Job Title", Some("Chief Executive Officer"));
    let first = app.post_community(&body).await;
    assert_eq!(first.status, 202);
    app.sql("UPDATE webhook_deliveries SET received_at = now() - interval '73 hours'").await;
    let again = app.post_community(&body).await;
    assert_eq!(again.status, 202, "a real repeat next month is not lost");
    assert_ne!(again.event_id(), first.event_id());
    assert_eq!(app.post_community(&body).await.status, 200, "and its own retry is a duplicate again");
    assert_eq!(app.count_events().await, 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn window_is_configurable() {
    let app = crate::helpers::spawn_app_with(&[("PATHFINDER_INGEST__DEDUPE_WINDOW_HOURS", "1")]).await;
    let body = seed("u-6", "Job Title", Some("CFO"));
    assert_eq!(app.post_community(&body).await.status, 202);
    app.sql("UPDATE webhook_deliveries SET received_at = now() - interval '61 minutes'").await;
    assert_eq!(app.post_community(&body).await.status, 202);
}
