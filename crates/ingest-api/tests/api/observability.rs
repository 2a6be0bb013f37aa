//! /health, /ready, /metrics and request ids; a database behind this build is refused at start.

use ingest_api::Application;
use pathfinder_core::testing::TestDatabase;
use tokio_util::sync::CancellationToken;

use crate::helpers::{seed, spawn_app, test_settings};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn health_and_ready_answer_200() {
    let app = spawn_app().await;
    let health = app.get("/health").await;
    assert_eq!(health.status(), 200);
    let ready = app.get("/ready").await;
    assert_eq!(ready.status(), 200);
    assert_eq!(ready.json::<serde_json::Value>().await.expect("json")["status"], "ready");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_count_requests_outcomes_and_batches() {
    let app = spawn_app().await;
    app.post_community(&seed("m-1", "Title", Some("CEO"))).await;
    app.post_community(&seed("m-1", "Title", Some("CEO"))).await;
    let text = app.get("/metrics").await.text().await.expect("text");
    for needle in [
        "pathfinder_ingest_requests_total{route=\"/webhooks/community\",status=\"202\"}",
        "pathfinder_ingest_events_total{outcome=\"duplicate\"}",
        "pathfinder_ingest_batch_size_rows_bucket",
        "pathfinder_ingest_commit_duration_seconds_bucket",
        "pathfinder_events_pending 1",
        "pathfinder_events_oldest_pending_age_seconds",
        "pathfinder_digests{status=\"failed\"} 0",
    ] {
        assert!(text.contains(needle), "missing {needle} in:\n{text}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn request_id_is_reused_or_generated() {
    let app = spawn_app().await;
    let reply = app.post_json("/webhooks/community", &[("x-request-id", "req-abc-123".into())], "{}".into()).await;
    assert_eq!(reply.headers.get("x-request-id").and_then(|v| v.to_str().ok()), Some("req-abc-123"));
    let generated = app.get("/health").await;
    let id = generated.headers().get("x-request-id").and_then(|v| v.to_str().ok()).unwrap_or("").to_string();
    assert_eq!(id.len(), 36, "a UUID is generated: {id:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_database_behind_this_build_is_refused_naming_pathfinder_migrate() {
    let db = TestDatabase::empty().await;
    let settings = test_settings(&db.url, &[]).expect("settings");
    let error = match Application::build_with_shutdown(settings, CancellationToken::new()).await {
        Ok(_) => panic!("must refuse an unmigrated database"),
        Err(error) => error.to_string(),
    };
    assert!(error.contains("pathfinder migrate"), "{error}");
}
