//! Manual digest runs (`digest_requests`, queued by `POST /admin/send-digests`): each is carried out once, by one
//! of several digest-senders, also when the one that claimed it dies; a failing build is retried, then `failed`,
//! and never blocks the requests behind it.

mod support;

use std::time::{Duration, Instant};

use digest_sender::assemble::Channel;
use digest_sender::requests::RequestRunner;
use digest_sender::weekly::WeeklyDigestJob;
use pathfinder_core::testing::TestDatabase;
use support::{pool, sender_processes, temp_dir};

fn runner(db: &TestDatabase) -> RequestRunner {
    RequestRunner {
        pool: pool(db),
        job: WeeklyDigestJob { channels: vec![Channel::Email, Channel::Teams] },
        tz: chrono_tz::America::New_York,
    }
}

async fn add_detections(client: &tokio_postgres::Client, count: i64) {
    client
        .execute(
            "INSERT INTO detections (event_id, user_id, title, seniority, kind, rule, rules_version)
             SELECT g, 'member-' || g, 'VP Sales', 'vp', 'new', 'vice-president', 'v1'
             FROM generate_series(1, $1::bigint) g",
            &[&count],
        )
        .await
        .expect("detections");
}

async fn request(client: &tokio_postgres::Client) -> i64 {
    client
        .query_one("INSERT INTO digest_requests (requested_by) VALUES ('ops') RETURNING id", &[])
        .await
        .expect("request")
        .get("id")
}

/// (status, attempts, summary) of a request.
async fn state(client: &tokio_postgres::Client, id: i64) -> (String, i32, Option<serde_json::Value>) {
    let row = client
        .query_one("SELECT status, attempts, summary FROM digest_requests WHERE id = $1", &[&id])
        .await
        .expect("request row");
    (row.get("status"), row.get("attempts"), row.get("summary"))
}

/// Every detection is in exactly one digest per channel.
async fn assert_each_detection_once(client: &tokio_postgres::Client, detections: i64) {
    let rows = client
        .query(
            "SELECT channel, count(*) AS items, count(DISTINCT detection_id) AS detections FROM digest_items
             GROUP BY channel ORDER BY channel",
            &[],
        )
        .await
        .expect("items");
    let found: Vec<(String, i64, i64)> =
        rows.iter().map(|r| (r.get("channel"), r.get("items"), r.get("detections"))).collect();
    assert_eq!(
        found,
        vec![("email".to_string(), detections, detections), ("teams".to_string(), detections, detections)]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_builds_every_detection_not_yet_sent_and_records_what_it_built() {
    let db = TestDatabase::migrated().await;
    let client = db.connect().await;
    add_detections(&client, 12).await;
    let id = request(&client).await;
    let runner = runner(&db);
    assert!(runner.run_once().await.expect("run"), "the request was found");
    let built =
        serde_json::json!({"email": {"digests": 2, "detections": 12}, "teams": {"digests": 2, "detections": 12}});
    assert_eq!(state(&client, id).await, ("done".to_string(), 1, Some(built)));
    assert!(!runner.run_once().await.expect("run"), "nothing left to do");
    let manual: i64 = client
        .query_one("SELECT count(*) FROM job_runs WHERE job = 'weekly-digest' AND trigger = 'manual'", &[])
        .await
        .expect("ledger")
        .get("count");
    assert_eq!(manual, 1, "recorded as a manual run, never standing in for Friday's");
    let again = request(&client).await;
    assert!(runner.run_once().await.expect("run"));
    let nothing =
        serde_json::json!({"email": {"digests": 0, "detections": 0}, "teams": {"digests": 0, "detections": 0}});
    assert_eq!(state(&client, again).await, ("done".to_string(), 1, Some(nothing)), "nothing is sent twice");
    assert_each_detection_once(&client, 12).await;
}

/// A digest-sender that claimed a request and died (its backend terminated mid-transaction) built nothing; the
/// request is pending again and another digest-sender carries it out.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_whose_runner_died_is_carried_out_by_another() {
    let db = TestDatabase::migrated().await;
    let client = db.connect().await;
    add_detections(&client, 3).await;
    let id = request(&client).await;
    let mut dying = db.connect().await;
    let tx = dying.transaction().await.expect("begin");
    tx.query_one("SELECT id FROM digest_requests WHERE id = $1 FOR UPDATE", &[&id]).await.expect("claim");
    tx.execute("INSERT INTO digests (channel, run_key, detection_count) VALUES ('email', 'half-built', 1)", &[])
        .await
        .expect("half");
    let pid: i32 = tx.query_one("SELECT pg_backend_pid() AS pid", &[]).await.expect("pid").get("pid");

    let runner = runner(&db);
    assert!(!runner.run_once().await.expect("run"), "a claimed request is skipped, not waited for");
    let killed: bool = client
        .query_one("SELECT pg_terminate_backend($1, 10000) AS killed", &[&pid])
        .await
        .expect("terminate")
        .get("killed");
    assert!(killed, "the claiming backend is gone");
    drop(tx);
    drop(dying);

    assert!(runner.run_once().await.expect("run"), "the request is claimable again");
    assert_eq!(state(&client, id).await.0, "done");
    let half: i64 = client
        .query_one("SELECT count(*) FROM digests WHERE run_key = 'half-built'", &[])
        .await
        .expect("count")
        .get("count");
    assert_eq!(half, 0, "the dead runner's writes rolled back");
    assert_each_detection_once(&client, 3).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_build_is_retried_later_then_failed_and_never_blocks_the_next_request() {
    let db = TestDatabase::migrated().await;
    let client = db.connect().await;
    add_detections(&client, 2).await;
    client
        .batch_execute(
            "CREATE FUNCTION refuse_digests() RETURNS trigger LANGUAGE plpgsql AS
               $$ BEGIN RAISE EXCEPTION 'digests refused by the test'; END $$;
             CREATE TRIGGER refuse_digests BEFORE INSERT ON digests FOR EACH ROW EXECUTE FUNCTION refuse_digests();",
        )
        .await
        .expect("trigger");
    let failing = request(&client).await;
    let runner = runner(&db);
    assert!(runner.run_once().await.expect("run"));
    let row = client
        .query_one(
            "SELECT status, attempts, last_error, next_attempt_at > now() + interval '30 seconds' AS later
             FROM digest_requests WHERE id = $1",
            &[&failing],
        )
        .await
        .expect("row");
    assert_eq!((row.get::<_, &str>("status"), row.get::<_, i32>("attempts")), ("pending", 1));
    assert!(row.get::<_, &str>("last_error").contains("digests refused by the test"), "the error is kept");
    assert!(row.get::<_, bool>("later"), "retried after a backoff");
    let manual: i64 = client.query_one("SELECT count(*) FROM job_runs", &[]).await.expect("ledger").get("count");
    assert_eq!(manual, 0, "the failed build recorded no run");

    client.batch_execute("DROP TRIGGER refuse_digests ON digests").await.expect("drop trigger");
    let next = request(&client).await;
    assert!(runner.run_once().await.expect("run"), "the next request is not behind the failing one");
    assert_eq!(state(&client, next).await.0, "done");

    client
        .execute("UPDATE digest_requests SET next_attempt_at = now(), attempts = 4 WHERE id = $1", &[&failing])
        .await
        .expect("due again");
    client
        .batch_execute(
            "CREATE TRIGGER refuse_digests BEFORE INSERT ON digests FOR EACH ROW EXECUTE FUNCTION refuse_digests();
             INSERT INTO detections (event_id, user_id, title, seniority, kind, rule, rules_version)
             VALUES (99, 'member-99', 'CFO', 'c_suite', 'new', 'chief-officer', 'v1')",
        )
        .await
        .expect("refuse again");
    assert!(runner.run_once().await.expect("run"));
    assert_eq!(state(&client, failing).await, ("failed".to_string(), 5, None), "failed after its fifth attempt");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_sender_processes_carry_out_each_request_once() {
    let db = TestDatabase::migrated().await;
    let client = db.connect().await;
    add_detections(&client, 25).await;
    let outbox = temp_dir();
    let processes = sender_processes(3, &db, &outbox);
    client
        .batch_execute("INSERT INTO digest_requests (requested_by) SELECT 'ops' FROM generate_series(1, 6)")
        .await
        .expect("six requests at once");
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let row = client
            .query_one(
                "SELECT count(*) FILTER (WHERE status = 'done') AS done,
                        (SELECT count(*) FROM digests WHERE status <> 'sent') AS unsent
                 FROM digest_requests",
                &[],
            )
            .await
            .expect("count");
        if row.get::<_, i64>("done") == 6 && row.get::<_, i64>("unsent") == 0 {
            break;
        }
        assert!(Instant::now() < deadline, "requests not all done, or digests not all sent");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    drop(processes);
    let row = client
        .query_one(
            "SELECT count(*) FILTER (WHERE attempts = 1) AS once,
                    sum((summary->'email'->>'detections')::int) AS email,
                    sum((summary->'teams'->>'detections')::int) AS teams
             FROM digest_requests",
            &[],
        )
        .await
        .expect("summaries");
    assert_eq!(row.get::<_, i64>("once"), 6, "each request built once");
    assert_eq!((row.get::<_, i64>("email"), row.get::<_, i64>("teams")), (25, 25), "the runs split the detections");
    let manual: i64 = client
        .query_one("SELECT count(*) FROM job_runs WHERE trigger = 'manual'", &[])
        .await
        .expect("ledger")
        .get("count");
    assert_eq!(manual, 6, "one manual run per request");
    assert_each_detection_once(&client, 25).await;
    let _ = std::fs::remove_dir_all(outbox);
}
