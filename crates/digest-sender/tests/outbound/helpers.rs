//! What the outbound tests share: settings, a worker, endpoints, detections, draining the queue.

use digest_sender::outbound::OutboundWorker;
use pathfinder_core::Settings;
use pathfinder_core::outbound::endpoints::{self, NewEndpoint, WithSecret};
use pathfinder_core::testing::TestDatabase;

pub fn settings(db: &TestDatabase, allow_private: bool) -> Settings {
    Settings::load_from(vec![
        ("DATABASE_URL".to_string(), db.url.clone()),
        ("PATHFINDER_DATABASE__POOL_SIZE".to_string(), "4".to_string()),
        ("PATHFINDER_OUTBOUND__ALLOW_PRIVATE_TARGETS".to_string(), allow_private.to_string()),
        ("PATHFINDER_OUTBOUND__TIMEOUT_MS".to_string(), "5000".to_string()),
    ])
    .expect("settings")
}

pub fn worker(db: &TestDatabase, allow_private: bool) -> OutboundWorker {
    let settings = settings(db, allow_private);
    let pool = pathfinder_core::db::create_pool(&settings, "outbound-test").expect("pool");
    OutboundWorker::new(format!("test-{}", uuid::Uuid::new_v4().simple()), pool, settings.outbound).expect("worker")
}

/// Adds an endpoint (private targets allowed: the receiver is on loopback).
pub async fn add_endpoint(db: &TestDatabase, url: &str, events: &str) -> WithSecret {
    let mut client = db.connect().await;
    let tx = client.transaction().await.expect("tx");
    let added = endpoints::add(&tx, &NewEndpoint { url, events, description: "test receiver" }, true, "test")
        .await
        .expect("add endpoint");
    tx.commit().await.expect("commit");
    added
}

/// Writes detections for `members` (source, user id), one each, in this order (as the classifier would).
pub async fn detect(db: &TestDatabase, members: &[(&str, &str)]) -> Vec<i64> {
    let client = db.connect().await;
    let first: i64 =
        client.query_one("SELECT COALESCE(max(event_id), 0) + 1 FROM detections", &[]).await.expect("next").get(0);
    let sources: Vec<&str> = members.iter().map(|(s, _)| *s).collect();
    let users: Vec<&str> = members.iter().map(|(_, u)| *u).collect();
    client
        .query(
            "INSERT INTO detections (event_id, source, user_id, username, title, seniority, previous_seniority, kind,
                                     rule, rules_version)
             SELECT $1 + n - 1, s, u, 'user-' || u, 'Chief Revenue Officer', 'c_suite', NULL, 'new', 'chief-x', 'v7'
             FROM unnest($2::text[], $3::text[]) WITH ORDINALITY AS m(s, u, n)
             ORDER BY n
             RETURNING id",
            &[&first, &sources, &users],
        )
        .await
        .expect("detections")
        .iter()
        .map(|r| r.get(0))
        .collect()
}

/// Runs passes until one claims nothing.
pub async fn drain(worker: &OutboundWorker) {
    for _ in 0..100 {
        if worker.run_once().await.expect("pass").claimed == 0 {
            return;
        }
    }
    panic!("the outbound queue never drained");
}

/// Every waiting delivery is due now (instead of sleeping through its backoff).
pub async fn due_now(db: &TestDatabase) {
    db.connect()
        .await
        .execute("UPDATE outbound_deliveries SET next_attempt_at = now() WHERE status = 'pending'", &[])
        .await
        .expect("due now");
}

/// (status, attempts) of every delivery, by id.
pub async fn deliveries(db: &TestDatabase) -> Vec<(String, i32)> {
    db.connect()
        .await
        .query("SELECT status, attempts FROM outbound_deliveries ORDER BY id", &[])
        .await
        .expect("deliveries")
        .iter()
        .map(|r| (r.get(0), r.get(1)))
        .collect()
}
