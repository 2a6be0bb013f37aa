//! An endpoint with no success for disable_after_days is disabled with a reason (audited), takes no new events,
//! and sends its waiting ones once enabled again.

use pathfinder_core::outbound::endpoints;
use pathfinder_core::testing::TestDatabase;

use crate::helpers::{add_endpoint, deliveries, detect, drain, due_now, worker};
use crate::receiver::Receiver;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_endpoint_failing_for_days_is_disabled_with_a_reason() {
    let db = TestDatabase::migrated().await;
    let receiver = Receiver::start();
    let added = add_endpoint(&db, &receiver.url("/hook"), "").await;
    let id = added.endpoint.id;
    receiver.secrets(&[&added.secret]).await;
    receiver.fail("seconds=600&status=502").await;
    detect(&db, &[("community", "1")]).await;
    let worker = worker(&db, true);
    drain(&worker).await;
    let mut client = db.connect().await;
    let endpoint = endpoints::get(&client, id).await.expect("endpoint");
    assert!(endpoint.failing_since.is_some());
    assert_eq!(endpoint.status, "enabled", "one day of failures is not enough");

    // Five days later (default PATHFINDER_OUTBOUND__DISABLE_AFTER_DAYS), still failing:
    client
        .execute("UPDATE outbound_endpoints SET failing_since = now() - interval '5 days 1 minute'", &[])
        .await
        .expect("shift");
    due_now(&db).await;
    drain(&worker).await;
    let endpoint = endpoints::get(&client, id).await.expect("endpoint");
    assert_eq!(endpoint.status, "disabled");
    let reason = endpoint.disabled_reason.expect("reason");
    assert!(reason.contains("no delivery succeeded for 5 days") && reason.contains("HTTP 502"), "{reason}");
    let audited: i64 = client
        .query_one(
            "SELECT count(*) FROM audit_log WHERE kind = 'outbound.endpoint.disabled' AND subject = $1",
            &[&id.to_string()],
        )
        .await
        .expect("audit")
        .get(0);
    assert_eq!(audited, 1);

    // Disabled: nothing is claimed, new detections are not fanned out to it.
    detect(&db, &[("community", "2")]).await;
    due_now(&db).await;
    assert_eq!(worker.run_once().await.expect("pass").claimed, 0);
    assert_eq!(deliveries(&db).await, vec![("pending".to_string(), 2)]);

    receiver.recover().await;
    let tx = client.transaction().await.expect("tx");
    let enabled = endpoints::enable(&tx, id, "test").await.expect("enable");
    tx.commit().await.expect("commit");
    assert_eq!((enabled.status.as_str(), enabled.failing_since), ("enabled", None));
    drain(&worker).await;
    assert_eq!(deliveries(&db).await, vec![("delivered".to_string(), 3)]);
}
