//! Delivery against real local endpoints: the sandbox folder, a Teams endpoint that throttles the way Teams does,
//! permanent and exhausted failures, and three digest-sender processes sharing one database.

use std::collections::HashMap;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use actix_web::{App, HttpResponse, HttpServer, web};
use chrono::Utc;
use digest_sender::assemble::Channel;
use digest_sender::render::Renderer;
use digest_sender::send::{Pass, Sender};
use digest_sender::transport::{Sandbox, TeamsWebhook, Transport, installation_folder};
use digest_sender::transports::place_sandbox_outboxes;
use digest_sender::weekly::WeeklyDigestJob;
use pathfinder_core::db::DbPool;
use pathfinder_core::jobs::Trigger;
use pathfinder_core::jobs::scheduler::run_once;
use pathfinder_core::schedule::{self, Job};
use pathfinder_core::testing::TestDatabase;

fn repo() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."))
}

fn pool(db: &TestDatabase) -> DbPool {
    let settings = pathfinder_core::Settings::load_from(vec![
        ("DATABASE_URL".to_string(), db.url.clone()),
        ("PATHFINDER_DATABASE__POOL_SIZE".to_string(), "4".to_string()),
    ])
    .expect("settings");
    pathfinder_core::db::create_pool(&settings, "digest-test").expect("pool")
}

async fn detections_and_build(db: &TestDatabase, count: i64, channels: Vec<Channel>) {
    let client = db.connect().await;
    client
        .execute(
            "INSERT INTO detections (event_id, user_id, username, title, seniority, previous_seniority, kind, rule,
                                     rules_version, email, company)
             SELECT g, 'member-' || g, 'member' || g, 'Chief \"Quoted\" <Officer> & Co', 'c_suite',
                    CASE WHEN g % 3 = 0 THEN 'vp' END, CASE WHEN g % 3 = 0 THEN 'promotion' ELSE 'new' END,
                    'chief-executive', 'v1', 'm' || g || '@example.com', 'Acme'
             FROM generate_series(1, $1::bigint) g",
            &[&count],
        )
        .await
        .expect("detections");
    let week = schedule::period_containing(Job::WeeklyDigest, chrono_tz::America::New_York, Utc::now());
    run_once(&pool(db), &WeeklyDigestJob { channels }, &week, Trigger::Manual).await.expect("build");
}

fn sender(db: &TestDatabase, transports: HashMap<&'static str, Transport>, max_attempts: i32) -> Sender {
    Sender {
        id: format!("test-sender-{}", uuid::Uuid::new_v4().simple()),
        pool: pool(db),
        renderer: Renderer::load(&repo().join("config/templates")).expect("templates"),
        transports,
        tz: chrono_tz::America::New_York,
        lease_secs: 60,
        max_attempts,
    }
}

async fn statuses(db: &TestDatabase) -> Vec<(String, String, i32)> {
    db.connect()
        .await
        .query("SELECT channel, status, attempts FROM digests ORDER BY id", &[])
        .await
        .expect("digests")
        .iter()
        .map(|r| (r.get(0), r.get(1), r.get(2)))
        .collect()
}

fn temp_dir() -> PathBuf {
    let dir = std::env::temp_dir().join(format!("pf-outbox-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).expect("dir");
    dir
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sandbox_writes_rendered_digests_and_marks_them_sent() {
    let db = TestDatabase::migrated().await;
    detections_and_build(&db, 12, vec![Channel::Email, Channel::Teams]).await;
    let outbox = temp_dir();
    let transports = HashMap::from([
        ("email", Transport::Sandbox(Sandbox { outbox: outbox.clone() })),
        ("teams", Transport::Sandbox(Sandbox { outbox: outbox.clone() })),
    ]);
    let pass = sender(&db, transports, 3).run_once(10).await.expect("pass");
    assert_eq!(pass, Pass { claimed: 4, sent: 4, failed: 0 });
    assert!(statuses(&db).await.iter().all(|(_, status, attempts)| status == "sent" && *attempts == 1));
    let html = std::fs::read_to_string(outbox.join("digest-1-email.html")).expect("email html written");
    assert!(html.contains("Chief &quot;Quoted&quot; &lt;Officer&gt; &amp; Co"), "HTML-escaped title");
    assert!(html.contains("m1@example.com") && html.contains("10 members"), "{html}");
    let text = std::fs::read_to_string(outbox.join("digest-1-email.txt")).expect("text part");
    assert!(text.starts_with("Subject: New senior executives: week "), "{text}");
    assert!(text.contains(r#"Chief "Quoted" <Officer> & Co"#), "plain text is not escaped");
    let card: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(outbox.join("digest-3-teams.json")).expect("card"))
            .expect("valid JSON card");
    assert_eq!(card["type"], "AdaptiveCard");
    assert_eq!(card["body"].as_array().map(Vec::len), Some(2 + 10), "heading, summary, one container per detection");
    let recorded: i64 = db
        .connect()
        .await
        .query_one("SELECT count(*) FROM digest_deliveries WHERE status = 'sent' AND transport = 'sandbox'", &[])
        .await
        .expect("count")
        .get(0);
    assert_eq!(recorded, 4);
    let _ = std::fs::remove_dir_all(outbox);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_database_never_overwrites_an_earlier_databases_sandbox_digests() {
    let outbox = temp_dir();
    let mut written = Vec::new();
    for _ in 0..2 {
        // Each database numbers its digests from 1 again.
        let db = TestDatabase::migrated().await;
        detections_and_build(&db, 1, vec![Channel::Email]).await;
        let mut transports = HashMap::from([("email", Transport::Sandbox(Sandbox { outbox: outbox.clone() }))]);
        place_sandbox_outboxes(&mut transports, &pool(&db)).await.expect("outbox placed");
        let pass = sender(&db, transports, 3).run_once(10).await.expect("pass");
        assert_eq!(pass, Pass { claimed: 1, sent: 1, failed: 0 });
        let folder = installation_folder(&db.connect().await).await.expect("folder");
        assert!(folder.starts_with(&format!("{}-", db.name)), "named after its database: {folder}");
        written.push(outbox.join(folder).join("digest-1-email.html"));
    }
    assert_ne!(written[0], written[1], "each database writes into its own folder");
    for file in &written {
        assert!(file.is_file(), "{} is still there", file.display());
    }
    let _ = std::fs::remove_dir_all(outbox);
}

/// A Teams endpoint: throttles the first `throttled` posts with a 200 carrying the 429 (and Retry-After: 1), then
/// accepts; or always answers `fixed` when set.
struct TeamsFake {
    posts: AtomicUsize,
    throttled: usize,
    fixed: Option<u16>,
    bodies: std::sync::Mutex<Vec<serde_json::Value>>,
}

async fn teams_post(body: web::Json<serde_json::Value>, fake: web::Data<TeamsFake>) -> HttpResponse {
    let n = fake.posts.fetch_add(1, Ordering::SeqCst);
    if let Ok(mut bodies) = fake.bodies.lock() {
        bodies.push(body.into_inner());
    }
    if let Some(status) = fake.fixed {
        return HttpResponse::build(actix_web::http::StatusCode::from_u16(status).expect("status")).body("nope");
    }
    if n < fake.throttled {
        return HttpResponse::Ok()
            .insert_header(("Retry-After", "1"))
            .body("Microsoft Teams endpoint returned HTTP error 429 with ContextId tcid=0,server=msgapi-production");
    }
    HttpResponse::Ok().body("1")
}

fn start_teams(throttled: usize, fixed: Option<u16>) -> (String, Arc<TeamsFake>) {
    let fake =
        Arc::new(TeamsFake { posts: AtomicUsize::new(0), throttled, fixed, bodies: std::sync::Mutex::new(Vec::new()) });
    let data = web::Data::from(fake.clone());
    let server =
        HttpServer::new(move || App::new().app_data(data.clone()).route("/webhook", web::post().to(teams_post)))
            .workers(1)
            .disable_signals()
            .bind(("127.0.0.1", 0))
            .expect("bind");
    let url = format!("http://127.0.0.1:{}/webhook", server.addrs()[0].port());
    tokio::spawn(server.run());
    (url, fake)
}

fn teams(url: String) -> HashMap<&'static str, Transport> {
    let http = reqwest::Client::builder().timeout(Duration::from_secs(5)).build().expect("client");
    HashMap::from([("teams", Transport::TeamsWebhook(TeamsWebhook { url, http }))])
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_throttling_teams_endpoint_is_retried_after_its_retry_after() {
    let (url, fake) = start_teams(2, None);
    let db = TestDatabase::migrated().await;
    detections_and_build(&db, 3, vec![Channel::Teams]).await;
    let started = Instant::now();
    let pass = sender(&db, teams(url), 3).run_once(10).await.expect("pass");
    assert_eq!(pass, Pass { claimed: 1, sent: 1, failed: 0 });
    assert!(started.elapsed() >= Duration::from_secs(2), "waited Retry-After: 1 twice");
    assert_eq!(fake.posts.load(Ordering::SeqCst), 3);
    let body = fake.bodies.lock().expect("bodies")[0].clone();
    assert_eq!(body["type"], "message");
    assert_eq!(body["attachments"][0]["contentType"], "application/vnd.microsoft.card.adaptive");
    assert_eq!(body["attachments"][0]["content"]["type"], "AdaptiveCard");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_4xx_fails_at_once_and_5xx_fails_after_the_configured_attempts() {
    let (bad_request, fake_400) = start_teams(0, Some(400));
    let db = TestDatabase::migrated().await;
    detections_and_build(&db, 2, vec![Channel::Teams]).await;
    let pass = sender(&db, teams(bad_request), 5).run_once(10).await.expect("pass");
    assert_eq!(pass.failed, 1);
    assert_eq!(fake_400.posts.load(Ordering::SeqCst), 1, "a 400 is not retried");
    assert_eq!(statuses(&db).await, vec![("teams".to_string(), "failed".to_string(), 1)]);

    let (broken, fake_500) = start_teams(0, Some(503));
    let db = TestDatabase::migrated().await;
    detections_and_build(&db, 2, vec![Channel::Teams]).await;
    let sender = sender(&db, teams(broken), 2);
    assert_eq!(sender.run_once(10).await.expect("pass").failed, 1);
    assert_eq!(statuses(&db).await, vec![("teams".to_string(), "pending".to_string(), 1)], "retried later");
    assert_eq!(fake_500.posts.load(Ordering::SeqCst), 3, "one try and two quick retries");
    db.connect().await.batch_execute("UPDATE digests SET next_attempt_at = now()").await.expect("due now");
    assert_eq!(sender.run_once(10).await.expect("pass").failed, 1);
    assert_eq!(statuses(&db).await, vec![("teams".to_string(), "failed".to_string(), 2)], "max attempts reached");
    let last_error: Option<String> =
        db.connect().await.query_one("SELECT last_error FROM digests", &[]).await.expect("row").get(0);
    assert!(last_error.unwrap_or_default().contains("503"));
}

struct Process(Child);

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_sender_processes_run_the_due_week_once_and_deliver_every_digest_once() {
    let db = TestDatabase::migrated().await;
    let client = db.connect().await;
    // Installed eight days ago: the last Friday 17:00 New York is due and was never run.
    client
        .batch_execute(
            "UPDATE refinery_schema_history SET applied_on = to_char((now() - interval '8 days') AT TIME ZONE 'UTC',
                                                                     'YYYY-MM-DD\"T\"HH24:MI:SS\"+00:00\"')",
        )
        .await
        .expect("backdate");
    let floor = Utc::now() - chrono::Duration::days(8);
    let due = schedule::upcoming(Job::WeeklyDigest, chrono_tz::America::New_York, floor, 5)
        .into_iter()
        .filter(|o| o.utc <= Utc::now())
        .count();
    client
        .execute(
            "INSERT INTO detections (event_id, user_id, title, seniority, kind, rule, rules_version)
             SELECT g, 'member-' || g, 'VP Sales', 'vp', 'new', 'vice-president', 'v1' FROM generate_series(1, 25) g",
            &[],
        )
        .await
        .expect("detections");
    let outbox = temp_dir();
    let processes: Vec<Process> = (0..3)
        .map(|_| {
            Process(
                Command::new(env!("CARGO_BIN_EXE_digest-sender"))
                    .current_dir(repo())
                    .env_clear()
                    .env("PATH", std::env::var("PATH").unwrap_or_default())
                    .env("DATABASE_URL", &db.url)
                    .env("LOG_LEVEL", "warn")
                    .env("PATHFINDER_DATABASE__POOL_SIZE", "3")
                    .env("PATHFINDER_DELIVERY__OUTBOX_DIR", &outbox)
                    .env("PATHFINDER_DELIVERY__POLL_INTERVAL_MS", "100")
                    .stdout(Stdio::null())
                    .stderr(Stdio::inherit())
                    .spawn()
                    .expect("start digest-sender"),
            )
        })
        .collect();
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let row = client
            .query_one("SELECT count(*), count(*) FILTER (WHERE status = 'sent') FROM digests", &[])
            .await
            .expect("count");
        let (all, sent): (i64, i64) = (row.get(0), row.get(1));
        if all == 6 && sent == 6 {
            break;
        }
        assert!(Instant::now() < deadline, "{sent} of {all} digests sent");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    drop(processes);
    let runs: i64 = client
        .query_one("SELECT count(*) FROM job_runs WHERE job = 'weekly-digest' AND trigger <> 'manual'", &[])
        .await
        .expect("runs")
        .get(0);
    assert_eq!(runs, due as i64, "each due week ran once across three processes");
    let deliveries = client
        .query("SELECT digest_id, count(*) FROM digest_deliveries WHERE status = 'sent' GROUP BY digest_id", &[])
        .await
        .expect("deliveries");
    assert_eq!(deliveries.len(), 6);
    assert!(deliveries.iter().all(|r| r.get::<_, i64>(1) == 1), "every digest delivered once");
    let folders: Vec<PathBuf> = std::fs::read_dir(&outbox).expect("outbox").map(|e| e.expect("entry").path()).collect();
    assert_eq!(folders.len(), 1, "one folder for the one database: {folders:?}");
    let files = std::fs::read_dir(&folders[0]).expect("database folder").count();
    assert_eq!(files, 3 * 2 + 3, "3 email digests (html + txt) and 3 Teams cards");
    let _ = std::fs::remove_dir_all(outbox);
}

async fn slow_teams_post(fake: web::Data<TeamsFake>) -> HttpResponse {
    fake.posts.fetch_add(1, Ordering::SeqCst);
    tokio::time::sleep(Duration::from_millis(2000)).await;
    HttpResponse::Ok().body("1")
}

/// A sender whose claim expires while it is still delivering (a slow endpoint, a short lease) must not record the
/// digest as sent once another sender has claimed it: the digest is delivered at least once, recorded sent once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sender_that_lost_its_claim_records_nothing() {
    let fake =
        Arc::new(TeamsFake { posts: AtomicUsize::new(0), throttled: 0, fixed: None, bodies: Default::default() });
    let data = web::Data::from(fake.clone());
    let server =
        HttpServer::new(move || App::new().app_data(data.clone()).route("/webhook", web::post().to(slow_teams_post)))
            .workers(2)
            .disable_signals()
            .bind(("127.0.0.1", 0))
            .expect("bind");
    let url = format!("http://127.0.0.1:{}/webhook", server.addrs()[0].port());
    tokio::spawn(server.run());
    let db = TestDatabase::migrated().await;
    detections_and_build(&db, 3, vec![Channel::Teams]).await;

    let mut slow = sender(&db, teams(url.clone()), 5);
    slow.lease_secs = 1;
    let first = tokio::spawn(async move { slow.run_once(10).await.expect("first pass") });
    tokio::time::sleep(Duration::from_millis(1300)).await;
    let second = sender(&db, teams(url), 5).run_once(10).await.expect("second pass");
    let first = first.await.expect("join");

    assert_eq!(first, Pass { claimed: 1, sent: 0, failed: 0 }, "the first sender's claim had expired");
    assert_eq!(second, Pass { claimed: 1, sent: 1, failed: 0 });
    assert_eq!(fake.posts.load(Ordering::SeqCst), 2, "delivered twice: at least once is the promise");
    let client = db.connect().await;
    let sent: i64 = client
        .query_one("SELECT count(*) FROM digest_deliveries WHERE status = 'sent'", &[])
        .await
        .expect("count")
        .get(0);
    assert_eq!(sent, 1, "recorded sent exactly once");
    assert_eq!(statuses(&db).await, vec![("teams".to_string(), "sent".to_string(), 2)]);
}
