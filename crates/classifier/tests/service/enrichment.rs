//! Member enrichment against a local lookup server that speaks HTTP like Discourse's admin API: filled in when the
//! lookup works (also after transient failures), never delaying the detection, and given up on when it cannot.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use actix_web::{App, HttpRequest, HttpResponse, HttpServer, web};
use pathfinder_core::testing::TestDatabase;

use crate::helpers::{Running, insert_events, start, wait_until_drained, wait_until_none};

struct Fake {
    flaky_calls: AtomicUsize,
}

async fn user(request: HttpRequest, path: web::Path<String>, fake: web::Data<Fake>) -> HttpResponse {
    if request.headers().get("Api-Key").and_then(|v| v.to_str().ok()) != Some("test-key")
        || request.headers().get("Api-Username").and_then(|v| v.to_str().ok()) != Some("system")
    {
        return HttpResponse::Forbidden().json(serde_json::json!({"errors": ["invalid api key"]}));
    }
    let id = path.into_inner();
    let id = id.trim_end_matches(".json");
    match id {
        "missing" => HttpResponse::NotFound().json(serde_json::json!({"errors": ["not found"]})),
        "slow" => {
            tokio::time::sleep(Duration::from_secs(3)).await;
            HttpResponse::Ok().json(serde_json::json!({"email": "slow@example.com"}))
        }
        "flaky" if fake.flaky_calls.fetch_add(1, Ordering::SeqCst) < 2 => HttpResponse::ServiceUnavailable().finish(),
        _ => HttpResponse::Ok().json(serde_json::json!({
            "id": 1, "username": id, "email": format!("{id}@example.com"),
            "user_fields": {"1": "CEO", "2": "Acme Corp"}
        })),
    }
}

/// Starts the fake on a free port; returns its base URL.
fn start_fake() -> String {
    let fake = web::Data::new(Fake { flaky_calls: AtomicUsize::new(0) });
    let server =
        HttpServer::new(move || App::new().app_data(fake.clone()).route("/admin/users/{id}", web::get().to(user)))
            .workers(1)
            .disable_signals()
            .bind(("127.0.0.1", 0))
            .expect("bind fake");
    let port = server.addrs()[0].port();
    tokio::spawn(server.run());
    format!("http://127.0.0.1:{port}")
}

fn enrichment_settings(base: &str) -> Vec<(&'static str, String)> {
    vec![
        ("PATHFINDER_ENRICHMENT__LOOKUP_URL", format!("{base}/admin/users/{{userId}}.json")),
        ("PATHFINDER_ENRICHMENT__API_KEY", "test-key".into()),
        ("PATHFINDER_ENRICHMENT__API_USERNAME", "system".into()),
        ("PATHFINDER_ENRICHMENT__COMPANY_POINTER", "/user_fields/2".into()),
        ("PATHFINDER_ENRICHMENT__PROFILE_URL_TEMPLATE", "https://forum.example.com/u/{username}".into()),
        ("PATHFINDER_ENRICHMENT__TIMEOUT_MS", "300".into()),
        ("PATHFINDER_ENRICHMENT__MAX_ATTEMPTS", "1".into()),
    ]
}

async fn wait_for_enrichment(client: &tokio_postgres::Client, within: Duration) {
    wait_until_none(client, "SELECT count(*) FROM detections WHERE enrichment_status = 'pending'", within).await;
}

/// A fresh database, the fake lookup server and a classifier configured to use it.
async fn setup() -> (TestDatabase, tokio_postgres::Client, Running) {
    let base = start_fake();
    let db = TestDatabase::migrated().await;
    let client = db.connect().await;
    let extra = enrichment_settings(&base);
    let extra: Vec<(&str, &str)> = extra.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let classifier = start(&db, &extra).await;
    (db, client, classifier)
}

type Row = (String, String, Option<String>, Option<String>, Option<String>);

async fn detection(client: &tokio_postgres::Client, user: &str) -> Row {
    let row = client
        .query_one(
            "SELECT kind, enrichment_status, email, company, profile_url FROM detections WHERE user_id = $1",
            &[&user],
        )
        .await
        .expect("one detection");
    (row.get(0), row.get(1), row.get(2), row.get(3), row.get(4))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn members_are_enriched_also_after_transient_failures() {
    let (_db, client, _classifier) = setup().await;
    insert_events(&client, &[("ada", Some("Chief Executive Officer")), ("flaky", Some("VP Sales"))]).await;
    wait_until_drained(&client, Duration::from_secs(20)).await;
    wait_for_enrichment(&client, Duration::from_secs(20)).await;
    assert_eq!(
        detection(&client, "ada").await,
        (
            "new".into(),
            "done".into(),
            Some("ada@example.com".into()),
            Some("Acme Corp".into()),
            Some("https://forum.example.com/u/ada-name".into())
        )
    );
    let flaky = detection(&client, "flaky").await;
    assert_eq!((flaky.1.as_str(), flaky.2.as_deref()), ("done", Some("flaky@example.com")), "503 twice, then answered");
    let state_email: Option<String> =
        client.query_one("SELECT email FROM user_state WHERE user_id = 'ada'", &[]).await.expect("state").get(0);
    assert_eq!(state_email.as_deref(), Some("ada@example.com"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failed_lookups_never_delay_or_lose_the_detection() {
    let (_db, client, _classifier) = setup().await;
    let started = Instant::now();
    insert_events(&client, &[("slow", Some("CFO")), ("missing", Some("CTO"))]).await;
    wait_until_drained(&client, Duration::from_secs(20)).await;
    let detections: i64 = client.query_one("SELECT count(*) FROM detections", &[]).await.expect("count").get(0);
    assert_eq!(detections, 2, "both detections are committed whatever the lookups do");
    assert!(started.elapsed() < Duration::from_secs(3), "detections did not wait for the slow lookup");
    wait_for_enrichment(&client, Duration::from_secs(30)).await;
    let slow = detection(&client, "slow").await;
    assert_eq!((slow.1.as_str(), slow.2.as_deref()), ("failed", None), "timed out on every try: left empty");
    let missing = detection(&client, "missing").await;
    assert_eq!((missing.1.as_str(), missing.2.as_deref()), ("failed", None), "404: no such member");
    let error: Option<String> = client
        .query_one("SELECT enrichment_error FROM detections WHERE user_id = 'missing'", &[])
        .await
        .expect("error")
        .get(0);
    assert!(error.unwrap_or_default().contains("404"));
}

/// A lookup server that answers `/held/{id}` only when the test says so, and tells the test when a request arrived.
struct Gate {
    arrived: tokio::sync::mpsc::UnboundedSender<()>,
    release: tokio::sync::Notify,
}

async fn held(path: web::Path<String>, gate: web::Data<Gate>) -> HttpResponse {
    let _ = gate.arrived.send(());
    gate.release.notified().await;
    let id = path.into_inner();
    HttpResponse::Ok().json(serde_json::json!({"email": format!("{}@example.com", id.trim_end_matches(".json"))}))
}

/// Failed before the fix: a lookup that finished after its claim was taken over (lease expired, another enricher
/// claimed the detection again) wrote its result anyway, outside any transaction, over the newer claim's work.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lookup_that_lost_its_claim_writes_nothing() {
    let (arrived, mut arrivals) = tokio::sync::mpsc::unbounded_channel();
    let gate = web::Data::new(Gate { arrived, release: tokio::sync::Notify::new() });
    let server_gate = gate.clone();
    let server =
        HttpServer::new(move || App::new().app_data(server_gate.clone()).route("/held/{id}", web::get().to(held)))
            .workers(1)
            .disable_signals()
            .bind(("127.0.0.1", 0))
            .expect("bind");
    let base = format!("http://127.0.0.1:{}", server.addrs()[0].port());
    tokio::spawn(server.run());

    let db = TestDatabase::migrated().await;
    let client = db.connect().await;
    client
        .batch_execute(
            "INSERT INTO detections (event_id, user_id, title, seniority, kind, rule, rules_version, enrichment_status)
             VALUES (1, 'm1', 'CEO', 'c_suite', 'new', 'chief-executive', 'v1', 'pending')",
        )
        .await
        .expect("detection");
    let settings = crate::helpers::settings(
        &db.url,
        &[
            ("PATHFINDER_ENRICHMENT__LOOKUP_URL", &format!("{base}/held/{{userId}}.json")),
            ("PATHFINDER_ENRICHMENT__TIMEOUT_MS", "30000"),
        ],
    );
    let pool = pathfinder_core::db::create_pool(&settings, "enrich-test").expect("pool");
    let enricher = classifier::enrich::Enricher::new(
        pool,
        settings.enrichment.clone(),
        std::sync::Arc::new(tokio::sync::Notify::new()),
        Duration::from_secs(1),
        tokio_util::sync::CancellationToken::new(),
    )
    .expect("enricher");
    let first = tokio::spawn(async move { enricher.run_once().await.expect("pass") });
    arrivals.recv().await.expect("the lookup reached the server");
    // Meanwhile the lease ran out and another enricher claimed the detection (a claim adds an attempt).
    client
        .execute("UPDATE detections SET enrichment_attempts = enrichment_attempts + 1 WHERE id = 1", &[])
        .await
        .expect("second claim");
    gate.release.notify_one();
    assert_eq!(first.await.expect("join"), 1, "the first enricher claimed one detection");
    let row = client
        .query_one("SELECT enrichment_status, email, enrichment_attempts FROM detections WHERE id = 1", &[])
        .await
        .expect("row");
    assert_eq!(
        (row.get::<_, String>(0), row.get::<_, Option<String>>(1), row.get::<_, i32>(2)),
        ("pending".to_string(), None, 2),
        "the late result is dropped; the second claim's lookup decides"
    );
}
