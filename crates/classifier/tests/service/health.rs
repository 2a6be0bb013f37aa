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

/// Failed before the fix: the workers were awaited one after another, so a task that ended (here an injected panic)
/// left the process running with /health and /ready green. Now the service stops with an error naming the task
/// (the binary exits 1 and the orchestrator restarts it), and the health listener stops answering.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_task_that_ends_stops_the_service_and_its_health_listener() {
    let db = TestDatabase::migrated().await;
    let shutdown = CancellationToken::new();
    let mut app =
        Application::build_with_shutdown(settings(&db.url, &[("HEALTH_ADDR", "127.0.0.1:0")]), shutdown.clone())
            .await
            .expect("classifier");
    let port = app.health_port().expect("a health listener");
    let (fail, failure) = tokio::sync::oneshot::channel::<()>();
    app.tasks_mut().spawn("injected", async move {
        let _ = failure.await;
        panic!("injected failure");
    });
    let running = tokio::spawn(app.run_until_stopped());
    let http = reqwest::Client::builder().timeout(Duration::from_secs(5)).build().expect("http");
    let health = format!("http://127.0.0.1:{port}/health");
    assert_eq!(http.get(&health).send().await.expect("health").status(), 200);

    fail.send(()).expect("inject");
    let stopped = tokio::time::timeout(Duration::from_secs(30), running).await.expect("the service stopped");
    let error = stopped.expect("join").expect_err("an error, so the binary exits non-zero");
    assert!(error.to_string().contains("classifier task injected panicked: injected failure"), "{error}");
    assert!(shutdown.is_cancelled(), "every other task was told to stop");
    assert!(http.get(&health).send().await.is_err(), "/health no longer answers");
}
