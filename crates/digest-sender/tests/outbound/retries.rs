//! A receiver that fails and then recovers gets the event again with the same webhook-id; the pauses grow
//! exponentially with jitter; a delivery retried past retry_hours is failed; a manual resend sends it again.

use chrono::{DateTime, Utc};
use pathfinder_core::outbound::deliveries;
use pathfinder_core::testing::TestDatabase;

use crate::helpers::{add_endpoint, deliveries as statuses, detect, drain, due_now, worker};
use crate::receiver::Receiver;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn retries_keep_the_webhook_id_until_the_receiver_recovers() {
    let db = TestDatabase::migrated().await;
    let receiver = Receiver::start();
    let added = add_endpoint(&db, &receiver.url("/hook"), "detection.created").await;
    receiver.secrets(&[&added.secret]).await;
    receiver.fail("count=2&status=503").await;
    detect(&db, &[("community", "9")]).await;
    let worker = worker(&db, true);
    let client = db.connect().await;

    drain(&worker).await;
    let next: DateTime<Utc> =
        client.query_one("SELECT next_attempt_at FROM outbound_deliveries", &[]).await.expect("next").get(0);
    let wait = (next - Utc::now()).num_milliseconds();
    assert!((2_000..=6_500).contains(&wait), "first retry after 5 s +-25%, not {wait} ms");
    due_now(&db).await;
    drain(&worker).await;
    let next: DateTime<Utc> =
        client.query_one("SELECT next_attempt_at FROM outbound_deliveries", &[]).await.expect("next").get(0);
    let wait = (next - Utc::now()).num_milliseconds();
    assert!((6_000..=12_500).contains(&wait), "second retry after 10 s +-25%, not {wait} ms");
    assert_eq!(statuses(&db).await, vec![("pending".to_string(), 2)]);
    due_now(&db).await;
    drain(&worker).await;
    assert_eq!(statuses(&db).await, vec![("delivered".to_string(), 3)]);

    let requests = receiver.requests().await;
    assert_eq!(requests.len(), 3);
    assert!(requests.iter().all(|r| r["verified"] == true));
    assert!(requests.iter().all(|r| r["webhookId"] == requests[0]["webhookId"]), "one webhook-id across retries");
    assert!(requests.iter().all(|r| r["body"] == requests[0]["body"]), "the same body on every retry");
    assert_eq!(requests.iter().map(|r| r["answered"].as_i64().unwrap_or(0)).collect::<Vec<_>>(), vec![503, 503, 204]);
    let attempts: Vec<(i32, String, Option<i32>)> = client
        .query("SELECT attempt, outcome, status_code FROM outbound_attempts ORDER BY id", &[])
        .await
        .expect("attempts")
        .iter()
        .map(|r| (r.get(0), r.get(1), r.get(2)))
        .collect();
    assert_eq!(
        attempts,
        vec![(1, "failed".into(), Some(503)), (2, "failed".into(), Some(503)), (3, "delivered".into(), Some(204))]
    );
    let failing: Option<DateTime<Utc>> =
        client.query_one("SELECT failing_since FROM outbound_endpoints", &[]).await.expect("endpoint").get(0);
    assert_eq!(failing, None, "a success clears the endpoint's failure record");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_delivery_failing_past_retry_hours_is_failed_and_a_resend_sends_it_again() {
    let db = TestDatabase::migrated().await;
    let receiver = Receiver::start();
    let added = add_endpoint(&db, &receiver.url("/hook"), "").await;
    receiver.secrets(&[&added.secret]).await;
    receiver.fail("seconds=600&status=500").await;
    detect(&db, &[("community", "5")]).await;
    let worker = worker(&db, true);
    let mut client = db.connect().await;
    drain(&worker).await;
    // Three days later (the SQL clock shifted instead of waiting):
    client
        .execute(
            "UPDATE outbound_deliveries SET retry_from = now() - interval '73 hours', next_attempt_at = now()",
            &[],
        )
        .await
        .expect("shift");
    drain(&worker).await;
    assert_eq!(statuses(&db).await, vec![("failed".to_string(), 2)]);

    receiver.recover().await;
    let id: i64 = client.query_one("SELECT id FROM outbound_deliveries", &[]).await.expect("id").get(0);
    let tx = client.transaction().await.expect("tx");
    assert_eq!(deliveries::resend(&tx, id, "test").await.expect("resend"), "failed");
    tx.commit().await.expect("commit");
    drain(&worker).await;
    assert_eq!(statuses(&db).await, vec![("delivered".to_string(), 3)]);
    let requests = receiver.requests().await;
    assert_eq!(requests.len(), 3);
    assert!(requests.iter().all(|r| r["webhookId"] == requests[0]["webhookId"]), "a resend keeps the webhook-id");
    let audited: i64 = client
        .query_one(
            "SELECT count(*) FROM audit_log WHERE kind = 'outbound.delivery.resent' AND subject = $1",
            &[&id.to_string()],
        )
        .await
        .expect("audit")
        .get(0);
    assert_eq!(audited, 1);
    let listed = deliveries::list(&client, added.endpoint.id, None, 10).await.expect("list");
    assert_eq!(listed[0].attempt_log.len(), 3, "every attempt is visible");
}
