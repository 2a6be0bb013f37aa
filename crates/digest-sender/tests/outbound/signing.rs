//! What we send is what the Standard Webhooks specification asks: the official library verifies the signature, the
//! id and the timestamp, and the body carries the detection (or the sent digest).

use pathfinder_core::outbound::endpoints;
use serde_json::Value;

use crate::helpers::{add_endpoint, deliveries, detect, drain, worker};
use crate::receiver::Receiver;
use pathfinder_core::testing::TestDatabase;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_official_library_verifies_signature_id_and_timestamp() {
    let db = TestDatabase::migrated().await;
    let receiver = Receiver::start();
    let added = add_endpoint(&db, &receiver.url("/crm"), "").await;
    assert!(added.secret.starts_with("whsec_"));
    receiver.secrets(&[&added.secret]).await;
    let ids = detect(&db, &[("community", "42"), ("discourse", "7")]).await;
    drain(&worker(&db, true)).await;

    let mut requests = receiver.requests().await;
    assert_eq!(requests.len(), 2, "{requests:#?}");
    // The two members' deliveries go out at once, so they may arrive in either order: pair them by detection.
    requests.sort_by_key(|request| request["body"]["data"]["detectionId"].as_i64());
    let client = db.connect().await;
    for (request, detection_id) in requests.iter().zip(&ids) {
        assert_eq!(request["verified"], true, "{request}");
        assert_eq!(request["verifiedBy"], "standardwebhooks", "the official library, not the fallback");
        let message_id: String = client
            .query_one("SELECT message_id FROM outbound_deliveries WHERE detection_id = $1", &[detection_id])
            .await
            .expect("delivery")
            .get(0);
        assert_eq!(request["webhookId"], Value::from(message_id.clone()));
        assert!(message_id.starts_with("msg_"));
        let stamp: i64 = request["webhookTimestamp"].as_str().expect("timestamp").parse().expect("integer seconds");
        assert!((chrono::Utc::now().timestamp() - stamp).abs() < 60, "timestamp is the attempt's time");
        let body = &request["body"];
        assert_eq!(body["type"], "detection.created");
        assert_eq!(body["data"]["detectionId"], Value::from(*detection_id));
        assert_eq!(body["data"]["level"], "c_suite");
        assert_eq!(body["data"]["kind"], "new");
        assert_eq!(body["data"]["previousLevel"], Value::Null);
        assert_eq!(body["data"]["rule"], "chief-x");
        assert_eq!(body["data"]["rulesVersion"], "v7");
        assert_eq!(body["data"]["title"], "Chief Revenue Officer");
        assert_eq!(body["data"]["enrichment"], Value::Null, "no enrichment configured");
        assert!(body["data"]["detectedAt"].is_string() && body["timestamp"].is_string());
    }
    assert_eq!(requests[0]["body"]["data"]["userId"], "42");
    assert_eq!(requests[0]["body"]["data"]["source"], "community");
    assert_eq!(requests[1]["body"]["data"]["source"], "discourse");
    assert_eq!(requests[0]["body"]["data"]["username"], "user-42");
    assert_eq!(deliveries(&db).await, vec![("delivered".to_string(), 1), ("delivered".to_string(), 1)]);
    let attempts: i64 = client
        .query_one("SELECT count(*) FROM outbound_attempts WHERE outcome = 'delivered' AND status_code = 204", &[])
        .await
        .expect("attempts")
        .get(0);
    assert_eq!(attempts, 2, "every attempt is recorded");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn during_a_rotation_both_secrets_sign_and_digests_announce_themselves() {
    let db = TestDatabase::migrated().await;
    let receiver = Receiver::start();
    let added = add_endpoint(&db, &receiver.url("/zap"), "detection.created,digest.sent").await;
    let mut client = db.connect().await;
    let tx = client.transaction().await.expect("tx");
    let rotated = endpoints::rotate_secret(&tx, added.endpoint.id, "test").await.expect("rotate");
    tx.commit().await.expect("commit");
    assert_ne!(rotated.secret, added.secret);
    assert!(rotated.endpoint.previous_secret_until.is_some());

    // A receiver still on the old secret and one already on the new one both verify.
    receiver.secrets(&[&added.secret]).await;
    detect(&db, &[("community", "1")]).await;
    drain(&worker(&db, true)).await;
    receiver.secrets(&[&rotated.secret]).await;
    let detection = detect(&db, &[("community", "2")]).await[0];
    drain(&worker(&db, true)).await;
    let requests = receiver.requests().await;
    assert_eq!(requests.len(), 2);
    assert!(requests.iter().all(|r| r["verified"] == true), "{requests:#?}");
    assert_eq!(requests[0]["signature"].as_str().expect("header").split(' ').count(), 2, "v1 per secret");

    // A digest marked sent becomes one digest.sent event with ids and counts only.
    let digest: i64 = client
        .query_one(
            "INSERT INTO digests (channel, status, run_key, detection_count) VALUES ('email', 'sending', 'w', 1)
             RETURNING id",
            &[],
        )
        .await
        .expect("digest")
        .get(0);
    client
        .execute(
            "INSERT INTO digest_items (digest_id, detection_id, channel, position) VALUES ($1, $2, 'email', 1)",
            &[&digest, &detection],
        )
        .await
        .expect("item");
    client
        .execute("UPDATE digests SET status = 'sent', sent_at = now() WHERE id = $1", &[&digest])
        .await
        .expect("sent");
    drain(&worker(&db, true)).await;
    let requests = receiver.requests().await;
    let last = requests.last().expect("digest.sent");
    assert_eq!(last["verified"], true);
    assert_eq!(last["body"]["type"], "digest.sent");
    assert_eq!(last["body"]["data"]["digestId"], Value::from(digest));
    assert_eq!(last["body"]["data"]["detectionIds"], serde_json::json!([detection]));
    assert_eq!(last["body"]["data"]["channel"], "email");
}
