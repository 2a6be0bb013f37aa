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

/// Failed before the fix: the gauges were one aggregate over all of events_raw at every scrape (a sequential scan
/// of the biggest table, on the public webhook port). Each gauge query must be answered from an index.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn gauge_queries_do_not_scan_events_raw() {
    use pathfinder_core::telemetry::gauges;
    let db = TestDatabase::migrated().await;
    let client = db.connect().await;
    client
        .batch_execute(
            "INSERT INTO events_raw (source, dedupe_key, user_id, profile_field, value, status, received_at)
             SELECT 'community', 'k' || g, 'u' || g, 'Title', 'CEO',
                    CASE WHEN g % 1000 = 0 THEN 'failed' WHEN g % 997 = 0 THEN 'pending' ELSE 'processed' END,
                    now() - g * interval '1 second'
             FROM generate_series(1, 50000) g;
             ANALYZE events_raw;",
        )
        .await
        .expect("seed");
    for query in [gauges::PENDING, gauges::OLDEST_PENDING, gauges::FAILED] {
        let plan: Vec<String> = client
            .query(&format!("EXPLAIN {query}"), &[])
            .await
            .expect("explain")
            .iter()
            .map(|r| r.get::<_, String>(0))
            .collect();
        let plan = plan.join("\n");
        assert!(!plan.contains("Seq Scan on events_raw"), "{query}\n{plan}");
    }
    // Read at most once per MAX_AGE, however many scrapes.
    assert!(gauges::refresh(&client).await, "the first scrape reads");
    assert!(!gauges::refresh(&client).await, "a scrape right after reuses the values");
}

/// Failed before the fix: METRICS_ADDR did not exist, and /metrics was always served on the public port.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_addr_moves_metrics_off_the_public_port() {
    let db = TestDatabase::migrated().await;
    let settings = test_settings(&db.url, &[("METRICS_ADDR", "127.0.0.1:0")]).expect("settings");
    let shutdown = CancellationToken::new();
    let app = Application::build_with_shutdown(settings, shutdown.clone()).await.expect("app");
    let (public, private) = (app.port(), app.metrics_port().expect("a metrics listener"));
    tokio::spawn(app.run_until_stopped());
    let http = reqwest::Client::new();
    let public_metrics = http.get(format!("http://127.0.0.1:{public}/metrics")).send().await.expect("public");
    assert_eq!(public_metrics.status(), 404, "not on the webhook port");
    let text = http
        .get(format!("http://127.0.0.1:{private}/metrics"))
        .send()
        .await
        .expect("metrics listener")
        .text()
        .await
        .expect("text");
    assert!(text.contains("pathfinder_events_pending"), "{text}");
    let health = http.get(format!("http://127.0.0.1:{private}/health")).send().await.expect("health");
    assert_eq!(health.json::<serde_json::Value>().await.expect("json")["service"], "ingest-api");
    assert_eq!(http.get(format!("http://127.0.0.1:{public}/health")).send().await.expect("health").status(), 200);
    shutdown.cancel();
}
