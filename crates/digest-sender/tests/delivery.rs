//! Delivery against real local endpoints: the sandbox folder, a Teams endpoint that throttles the way Teams does,
//! permanent and exhausted failures, and three digest-sender processes sharing one database.

mod support;

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use actix_web::{App, HttpResponse, HttpServer, web};
use chrono::Utc;
use digest_sender::assemble::Channel;
use digest_sender::send::Pass;
use digest_sender::transport::{Sandbox, Transport, installation_folder};
use digest_sender::transports::place_sandbox_outboxes;
use pathfinder_core::schedule::{self, Job};
use pathfinder_core::testing::TestDatabase;
use support::{detections_and_build, pool, sender, sender_processes, start_teams, statuses, teams, temp_dir};

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
    // weekly-digest catches up its latest missed week only (one, or none just after install).
    let due = schedule::catch_up_candidates(Job::WeeklyDigest, chrono_tz::America::New_York, floor, Utc::now()).len();
    client
        .execute(
            "INSERT INTO detections (event_id, user_id, title, seniority, kind, rule, rules_version)
             SELECT g, 'member-' || g, 'VP Sales', 'vp', 'new', 'vice-president', 'v1' FROM generate_series(1, 25) g",
            &[],
        )
        .await
        .expect("detections");
    let outbox = temp_dir();
    let processes = sender_processes(3, &db, &outbox);
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
    let folders: Vec<std::path::PathBuf> =
        std::fs::read_dir(&outbox).expect("outbox").map(|e| e.expect("entry").path()).collect();
    assert_eq!(folders.len(), 1, "one folder for the one database: {folders:?}");
    let files = std::fs::read_dir(&folders[0]).expect("database folder").count();
    assert_eq!(files, 3 * 2 + 3, "3 email digests (html + txt) and 3 Teams cards");
    let _ = std::fs::remove_dir_all(outbox);
}

/// A Teams endpoint that holds the first post until the test releases it (telling the test when it arrived) and
/// answers the others at once.
struct HeldTeams {
    posts: AtomicUsize,
    arrived: tokio::sync::mpsc::UnboundedSender<()>,
    release: tokio::sync::Notify,
}

async fn held_teams_post(fake: web::Data<HeldTeams>) -> HttpResponse {
    if fake.posts.fetch_add(1, Ordering::SeqCst) == 0 {
        let _ = fake.arrived.send(());
        fake.release.notified().await;
    }
    HttpResponse::Ok().body("1")
}

/// A sender whose claim expires while it is still delivering (a slow endpoint, a short lease) must not record the
/// digest as sent once another sender has claimed it: the digest is delivered at least once, recorded sent once.
/// Event-driven: the first delivery is held at the endpoint, the lease is expired in the database, the second sender
/// claims and delivers, then the first delivery is let through (it used to be a 1.3 s sleep racing a 1 s lease).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sender_that_lost_its_claim_records_nothing() {
    let (arrived, mut arrivals) = tokio::sync::mpsc::unbounded_channel();
    let fake = web::Data::new(HeldTeams { posts: AtomicUsize::new(0), arrived, release: tokio::sync::Notify::new() });
    let data = fake.clone();
    let server =
        HttpServer::new(move || App::new().app_data(data.clone()).route("/webhook", web::post().to(held_teams_post)))
            .workers(2)
            .disable_signals()
            .bind(("127.0.0.1", 0))
            .expect("bind");
    let url = format!("http://127.0.0.1:{}/webhook", server.addrs()[0].port());
    tokio::spawn(server.run());
    let db = TestDatabase::migrated().await;
    detections_and_build(&db, 3, vec![Channel::Teams]).await;

    let slow = sender(&db, teams(url.clone()), 5);
    let first = tokio::spawn(async move { slow.run_once(10).await.expect("first pass") });
    arrivals.recv().await.expect("the first delivery reached the endpoint");
    // The first sender's lease runs out while its delivery is still in flight.
    db.connect()
        .await
        .execute("UPDATE digests SET locked_until = now() - interval '1 second' WHERE status = 'sending'", &[])
        .await
        .expect("expire the lease");
    let second = sender(&db, teams(url), 5).run_once(10).await.expect("second pass");
    fake.release.notify_one();
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
