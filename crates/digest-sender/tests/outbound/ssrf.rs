//! Loopback, private and link-local targets are refused when an endpoint is added and again at delivery (through
//! the resolver for names, before the request for IP literals), unless private targets are allowed.

use pathfinder_core::outbound::endpoints::{self, NewEndpoint};
use pathfinder_core::testing::TestDatabase;

use crate::helpers::{add_endpoint, detect, drain, worker};
use crate::receiver::Receiver;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn private_targets_are_refused_when_added() {
    let db = TestDatabase::migrated().await;
    let mut client = db.connect().await;
    for url in [
        "http://127.0.0.1:8080/hook",
        "http://localhost/hook",
        "http://[::1]/hook",
        "http://169.254.169.254/latest/meta-data/",
        "http://10.0.0.5/hook",
        "https://192.168.1.20/hook",
        "http://[::ffff:127.0.0.1]/hook",
    ] {
        let tx = client.transaction().await.expect("tx");
        let refused =
            endpoints::add(&tx, &NewEndpoint { url, events: "", description: "" }, false, "test").await.expect_err(url);
        assert_eq!(refused.code(), "private-target-refused", "{url}: {refused}");
    }
    let tx = client.transaction().await.expect("tx");
    let bad = endpoints::add(&tx, &NewEndpoint { url: "ftp://example.com/", events: "", description: "" }, false, "t")
        .await
        .expect_err("ftp");
    assert_eq!(bad.code(), "invalid-endpoint-url");
    drop(tx);
    let stored: i64 = client.query_one("SELECT count(*) FROM outbound_endpoints", &[]).await.expect("count").get(0);
    assert_eq!(stored, 0, "nothing stored on a refusal");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn private_targets_are_refused_again_at_delivery() {
    let db = TestDatabase::migrated().await;
    let receiver = Receiver::start();
    // Added while private targets were allowed; the worker no longer allows them.
    let by_name = add_endpoint(&db, &format!("http://localhost:{}/by-name", receiver.port), "").await;
    let by_ip = add_endpoint(&db, &receiver.url("/by-ip"), "").await;
    receiver.secrets(&[&by_name.secret, &by_ip.secret]).await;
    detect(&db, &[("community", "1")]).await;
    drain(&worker(&db, false)).await;

    assert!(receiver.requests().await.is_empty(), "no request reached the private address");
    let client = db.connect().await;
    let attempts: Vec<(String, Option<i32>, String)> = client
        .query("SELECT outcome, status_code, error FROM outbound_attempts ORDER BY delivery_id", &[])
        .await
        .expect("attempts")
        .iter()
        .map(|r| (r.get(0), r.get(1), r.get(2)))
        .collect();
    assert_eq!(attempts.len(), 2);
    for (outcome, status, error) in &attempts {
        assert_eq!((outcome.as_str(), *status), ("refused", None), "{error}");
        assert!(error.contains("PATHFINDER_OUTBOUND__ALLOW_PRIVATE_TARGETS"), "{error}");
    }
    let pending: i64 = client
        .query_one("SELECT count(*) FROM outbound_deliveries WHERE status = 'pending' AND attempts = 1", &[])
        .await
        .expect("pending")
        .get(0);
    assert_eq!(pending, 2, "a refusal is a failed attempt, retried later (the address may change)");
}
