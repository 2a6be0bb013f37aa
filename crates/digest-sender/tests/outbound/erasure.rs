//! Erasing a member drops their deliveries not yet sent (never sent afterwards), deletes their delivered ones with
//! the attempts, and records the counts in the audit log.

use pathfinder_core::member::Source;
use pathfinder_core::privacy::forget_member;
use pathfinder_core::testing::TestDatabase;

use crate::helpers::{add_endpoint, deliveries, detect, drain, due_now, worker};
use crate::receiver::Receiver;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn erasure_drops_pending_deliveries_and_audits_it() {
    let db = TestDatabase::migrated().await;
    let receiver = Receiver::start();
    let added = add_endpoint(&db, &receiver.url("/hook"), "detection.created").await;
    receiver.secrets(&[&added.secret]).await;
    detect(&db, &[("community", "erase-me"), ("community", "keep-me")]).await;
    let worker = worker(&db, true);
    drain(&worker).await;
    receiver.fail("seconds=600&status=503").await;
    detect(&db, &[("community", "erase-me"), ("community", "erase-me"), ("community", "keep-me")]).await;
    drain(&worker).await;
    assert_eq!(
        deliveries(&db).await.iter().filter(|(s, _)| s == "pending").count(),
        3,
        "two of erase-me, one of keep-me"
    );
    let before = receiver.requests().await.len();

    let mut client = db.connect().await;
    let tx = client.transaction().await.expect("tx");
    let erased = forget_member(&tx, "erase-me", Some(Source::Community), false, "test").await.expect("forget");
    tx.commit().await.expect("commit");
    assert_eq!(erased.outbound_pending_dropped, 2, "the failing one and the one waiting behind it");
    assert_eq!(erased.outbound_deliveries_deleted, 3, "and the delivered one");
    let details: serde_json::Value = client
        .query_one("SELECT details FROM audit_log WHERE seq = $1", &[&erased.audit_seq])
        .await
        .expect("audit")
        .get(0);
    assert_eq!(details["outboundPendingDropped"], 2);
    assert_eq!(details["outboundDeliveriesDeleted"], 3);
    let left: i64 = client
        .query_one("SELECT count(*) FROM outbound_deliveries WHERE user_id = 'erase-me'", &[])
        .await
        .expect("left")
        .get(0);
    assert_eq!(left, 0);

    receiver.recover().await;
    due_now(&db).await;
    drain(&worker).await;
    let after = receiver.requests().await;
    assert_eq!(after.len(), before + 1, "only keep-me's waiting event went out");
    assert!(after[before..].iter().all(|r| r["body"]["data"]["userId"] == "keep-me"), "{after:#?}");
    assert_eq!(after.last().expect("last")["body"]["data"]["userId"], "keep-me");
}
