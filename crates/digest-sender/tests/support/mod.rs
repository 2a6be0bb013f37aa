//! What the digest-sender integration tests share: a pool, detections built into digests, a sender with chosen
//! transports, the digests' statuses, and a Teams endpoint (actix) that records what it is sent.
#![allow(dead_code)]

use std::collections::HashMap;
use std::path::PathBuf;
use std::process::Child;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use actix_web::{App, HttpResponse, HttpServer, web};
use chrono::Utc;
use digest_sender::assemble::Channel;
use digest_sender::render::Renderer;
use digest_sender::send::Sender;
use digest_sender::transport::{TeamsWebhook, Transport};
use digest_sender::weekly::WeeklyDigestJob;
use pathfinder_core::db::DbPool;
use pathfinder_core::jobs::Trigger;
use pathfinder_core::jobs::scheduler::run_once;
use pathfinder_core::schedule::{self, Job};
use pathfinder_core::testing::TestDatabase;

pub fn repo() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."))
}

pub fn pool(db: &TestDatabase) -> DbPool {
    let settings = pathfinder_core::Settings::load_from(vec![
        ("DATABASE_URL".to_string(), db.url.clone()),
        ("PATHFINDER_DATABASE__POOL_SIZE".to_string(), "4".to_string()),
    ])
    .expect("settings");
    pathfinder_core::db::create_pool(&settings, "digest-test").expect("pool")
}

pub async fn detections_and_build(db: &TestDatabase, count: i64, channels: Vec<Channel>) {
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
    build(db, channels).await;
}

/// Builds this week's digests of `channels` from every detection not yet in one (a manual weekly-digest run).
pub async fn build(db: &TestDatabase, channels: Vec<Channel>) {
    let week = schedule::period_containing(Job::WeeklyDigest, chrono_tz::America::New_York, Utc::now());
    run_once(&pool(db), &WeeklyDigestJob { channels }, &week, Trigger::Manual).await.expect("build");
}

pub fn sender(db: &TestDatabase, transports: HashMap<&'static str, Transport>, max_attempts: i32) -> Sender {
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

pub async fn statuses(db: &TestDatabase) -> Vec<(String, String, i32)> {
    db.connect()
        .await
        .query("SELECT channel, status, attempts FROM digests ORDER BY id", &[])
        .await
        .expect("digests")
        .iter()
        .map(|r| (r.get(0), r.get(1), r.get(2)))
        .collect()
}

pub fn temp_dir() -> PathBuf {
    let dir = std::env::temp_dir().join(format!("pf-outbox-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).expect("dir");
    dir
}

/// A Teams endpoint: throttles the first `throttled` posts with a 200 carrying the 429 (and Retry-After: 1), then
/// accepts; or always answers `fixed` when set.
pub struct TeamsFake {
    pub posts: AtomicUsize,
    pub throttled: usize,
    pub fixed: Option<u16>,
    pub bodies: std::sync::Mutex<Vec<serde_json::Value>>,
}

pub async fn teams_post(body: web::Json<serde_json::Value>, fake: web::Data<TeamsFake>) -> HttpResponse {
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

pub fn start_teams(throttled: usize, fixed: Option<u16>) -> (String, Arc<TeamsFake>) {
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

pub fn teams(url: String) -> HashMap<&'static str, Transport> {
    let http = reqwest::Client::builder().timeout(Duration::from_secs(5)).build().expect("client");
    HashMap::from([("teams", Transport::TeamsWebhook(TeamsWebhook { url, http }))])
}

/// `count` digest-sender processes (the real binary) on `db`, delivering into the sandbox `outbox`, polling every
/// 100 ms; killed when dropped.
pub fn sender_processes(count: usize, db: &TestDatabase, outbox: &std::path::Path) -> Vec<Process> {
    (0..count)
        .map(|_| {
            Process(
                std::process::Command::new(env!("CARGO_BIN_EXE_digest-sender"))
                    .current_dir(repo())
                    .env_clear()
                    .env("PATH", std::env::var("PATH").unwrap_or_default())
                    .env("DATABASE_URL", &db.url)
                    .env("LOG_LEVEL", "warn")
                    .env("PATHFINDER_DATABASE__POOL_SIZE", "3")
                    .env("PATHFINDER_DELIVERY__OUTBOX_DIR", outbox)
                    .env("PATHFINDER_DELIVERY__POLL_INTERVAL_MS", "100")
                    .stdout(std::process::Stdio::null())
                    .stderr(std::process::Stdio::inherit())
                    .spawn()
                    .expect("start digest-sender"),
            )
        })
        .collect()
}

pub struct Process(pub Child);

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}
