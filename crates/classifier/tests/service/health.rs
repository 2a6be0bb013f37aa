//! HEALTH_ADDR: the worker's /health, /ready and /metrics for orchestrators and Prometheus.

use std::time::Duration;

use classifier::Application;
use pathfinder_core::testing::TestDatabase;
use tokio_util::sync::CancellationToken;

use crate::helpers::{insert_events, settings, wait_until_drained};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn health_ready_and_metrics_are_served_on_health_addr() {
    let db = TestDatabase::migrated().await;
    let shutdown = CancellationToken::new();
    let app = Application::build_with_shutdown(settings(&db.url, &[("HEALTH_ADDR", "127.0.0.1:0")]), shutdown.clone())
        .await
        .expect("classifier");
    let port = app.health_port().expect("a health listener");
    tokio::spawn(app.run_until_stopped());
    let client = db.connect().await;
    insert_events(&client, &[("h", Some("Chief Executive Officer"))]).await;
    wait_until_drained(&client, Duration::from_secs(20)).await;
    let http = reqwest::Client::new();
    let base = format!("http://127.0.0.1:{port}");
    let health: serde_json::Value =
        http.get(format!("{base}/health")).send().await.expect("health").json().await.expect("json");
    assert_eq!(health, serde_json::json!({"status": "ok", "service": "classifier"}));
    assert_eq!(http.get(format!("{base}/ready")).send().await.expect("ready").status(), 200);
    let metrics = http.get(format!("{base}/metrics")).send().await.expect("metrics").text().await.expect("text");
    assert!(metrics.contains("pathfinder_classifier_events_processed_total"), "{metrics}");
    assert!(metrics.contains("pathfinder_classifier_batch_duration_seconds_bucket"));
    shutdown.cancel();
}
