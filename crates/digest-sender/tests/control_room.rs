//! The Automation Anywhere transport against a local Control Room that speaks the real API: it checks credentials
//! and tokens, lets a token expire, and fails transiently.

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use actix_web::{App, HttpRequest, HttpResponse, HttpServer, web};
use chrono::Utc;
use digest_sender::assemble::Channel;
use digest_sender::render::Renderer;
use digest_sender::send::{Pass, Sender};
use digest_sender::transport::{AaBot, ControlRoom, Transport};
use digest_sender::weekly::WeeklyDigestJob;
use pathfinder_core::jobs::Trigger;
use pathfinder_core::jobs::scheduler::run_once;
use pathfinder_core::schedule::{self, Job};
use pathfinder_core::testing::TestDatabase;
use serde_json::{Value, json};

#[derive(Default)]
struct Room {
    tokens: Mutex<HashSet<String>>,
    auth_calls: AtomicUsize,
    deploys: Mutex<Vec<Value>>,
    fail_next: AtomicUsize,
    expire_after_deploy: bool,
}

async fn authenticate(body: web::Json<Value>, room: web::Data<Room>) -> HttpResponse {
    let n = room.auth_calls.fetch_add(1, Ordering::SeqCst);
    if body["username"] != "pathfinder" || body["apiKey"] != "secret-key" {
        return HttpResponse::Unauthorized()
            .json(json!({"code": "um.invalid.credentials", "message": "Invalid credentials"}));
    }
    let token = format!("tok-{n}");
    room.tokens.lock().expect("tokens").insert(token.clone());
    HttpResponse::Ok().json(json!({"token": token, "user": {"id": 7, "username": "pathfinder"}}))
}

async fn deploy(request: HttpRequest, body: web::Json<Value>, room: web::Data<Room>) -> HttpResponse {
    let token = request.headers().get("X-Authorization").and_then(|v| v.to_str().ok()).unwrap_or("");
    if !room.tokens.lock().expect("tokens").contains(token) {
        return HttpResponse::Unauthorized().json(json!({"code": "um.token.expired", "message": "Token expired"}));
    }
    if room.fail_next.load(Ordering::SeqCst) > 0 {
        room.fail_next.fetch_sub(1, Ordering::SeqCst);
        return HttpResponse::ServiceUnavailable().json(json!({"message": "Control Room busy"}));
    }
    let mut deploys = room.deploys.lock().expect("deploys");
    deploys.push(body.into_inner());
    if room.expire_after_deploy {
        room.tokens.lock().expect("tokens").clear();
    }
    HttpResponse::Ok().json(json!({"deploymentId": format!("dep-{}", deploys.len()), "automationName": "Digest email"}))
}

fn start_room(room: Room) -> (String, Arc<Room>) {
    let room = Arc::new(room);
    let data = web::Data::from(room.clone());
    let server = HttpServer::new(move || {
        App::new()
            .app_data(data.clone())
            .route("/v1/authentication", web::post().to(authenticate))
            .route("/v3/automations/deploy", web::post().to(deploy))
    })
    .workers(1)
    .disable_signals()
    .bind(("127.0.0.1", 0))
    .expect("bind");
    let url = format!("http://127.0.0.1:{}", server.addrs()[0].port());
    tokio::spawn(server.run());
    (url, room)
}

async fn setup(detections: i64) -> TestDatabase {
    let db = TestDatabase::migrated().await;
    db.connect()
        .await
        .execute(
            "INSERT INTO detections (event_id, user_id, title, seniority, kind, rule, rules_version)
             SELECT g, 'member-' || g, 'CFO', 'c_suite', 'new', 'chief-officer', 'v1' FROM generate_series(1, $1::bigint) g",
            &[&detections],
        )
        .await
        .expect("detections");
    let settings =
        pathfinder_core::Settings::load_from(vec![("DATABASE_URL".to_string(), db.url.clone())]).expect("settings");
    let pool = pathfinder_core::db::create_pool(&settings, "aa-test").expect("pool");
    let week = schedule::period_containing(Job::WeeklyDigest, chrono_tz::America::New_York, Utc::now());
    run_once(&pool, &WeeklyDigestJob { channels: vec![Channel::Email] }, &week, Trigger::Manual).await.expect("build");
    db
}

fn sender(db: &TestDatabase, url: &str, api_key: &str) -> Sender {
    let settings =
        pathfinder_core::Settings::load_from(vec![("DATABASE_URL".to_string(), db.url.clone())]).expect("settings");
    let http = reqwest::Client::builder().timeout(Duration::from_secs(5)).build().expect("client");
    let room = Arc::new(ControlRoom::new(url, "pathfinder", api_key, vec![11, 12], http));
    let bot = AaBot {
        control_room: room,
        file_id: 4242,
        recipients: "sales@example.com".into(),
        from: "bot@example.com".into(),
    };
    Sender {
        id: "aa-test".into(),
        pool: pathfinder_core::db::create_pool(&settings, "aa-test").expect("pool"),
        renderer: Renderer::load(&std::path::PathBuf::from(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../config/templates"
        )))
        .expect("templates"),
        transports: HashMap::from([("email", Transport::Aa(bot))]),
        tz: chrono_tz::America::New_York,
        lease_secs: 60,
        max_attempts: 3,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deploys_with_typed_inputs_and_reauthenticates_once_when_the_token_expires() {
    let (url, room) = start_room(Room { expire_after_deploy: true, ..Room::default() });
    let db = setup(13).await; // two email digests: 10 + 3
    let pass = sender(&db, &url, "secret-key").run_once(10).await.expect("pass");
    assert_eq!(pass, Pass { claimed: 2, sent: 2, failed: 0 });
    assert_eq!(room.auth_calls.load(Ordering::SeqCst), 2, "one login, one more after the token expired");
    let deploys = room.deploys.lock().expect("deploys").clone();
    assert_eq!(deploys.len(), 2);
    assert_eq!(deploys[0]["fileId"], 4242);
    assert_eq!(deploys[0]["runAsUserIds"], json!([11, 12]));
    assert_eq!(deploys[0]["botInput"]["digestId"], json!({"type": "STRING", "string": "1"}));
    assert_eq!(deploys[1]["botInput"]["digestId"]["string"], "2");
    assert_eq!(deploys[0]["botInput"]["recipients"]["string"], "sales@example.com");
    assert!(deploys[0]["botInput"]["htmlBody"]["string"].as_str().unwrap_or("").contains("CFO"));
    let card: Value = serde_json::from_str(deploys[0]["botInput"]["adaptiveCard"]["string"].as_str().unwrap_or(""))
        .expect("card JSON");
    assert_eq!(card["type"], "AdaptiveCard");
    let remote: Vec<Option<String>> = db
        .connect()
        .await
        .query("SELECT remote_id FROM digests ORDER BY id", &[])
        .await
        .expect("digests")
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert_eq!(remote, vec![Some("dep-1".to_string()), Some("dep-2".to_string())], "deployment ids kept");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn transient_control_room_failures_are_retried_and_bad_credentials_fail_at_once() {
    let (url, room) = start_room(Room { fail_next: AtomicUsize::new(2), ..Room::default() });
    let db = setup(2).await;
    assert_eq!(sender(&db, &url, "secret-key").run_once(10).await.expect("pass").sent, 1, "503 twice, then deployed");
    assert_eq!(room.deploys.lock().expect("deploys").len(), 1);

    let (url, _room) = start_room(Room::default());
    let db = setup(2).await;
    assert_eq!(sender(&db, &url, "wrong-key").run_once(10).await.expect("pass").failed, 1);
    let row = db.connect().await.query_one("SELECT status, last_error FROM digests", &[]).await.expect("digest");
    assert_eq!(row.get::<_, String>(0), "failed", "a 401 from authentication is not retried");
    assert!(row.get::<_, Option<String>>(1).unwrap_or_default().contains("401"));
}
