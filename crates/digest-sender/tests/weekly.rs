//! The weekly build against a real database: digest sizes, runs that are doubled, missed or manual, and three
//! schedulers racing for the same week.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use digest_sender::assemble::Channel;
use digest_sender::weekly::WeeklyDigestJob;
use pathfinder_core::db::DbPool;
use pathfinder_core::jobs::scheduler::{RunOutcome, Scheduler, run_once};
use pathfinder_core::jobs::{JobHandler, Trigger};
use pathfinder_core::schedule::{self, Job};
use pathfinder_core::testing::TestDatabase;
use tokio_util::sync::CancellationToken;

fn pool(db: &TestDatabase) -> DbPool {
    let settings = pathfinder_core::Settings::load_from(vec![
        ("DATABASE_URL".to_string(), db.url.clone()),
        ("PATHFINDER_DATABASE__POOL_SIZE".to_string(), "4".to_string()),
    ])
    .expect("settings");
    pathfinder_core::db::create_pool(&settings, "digest-test").expect("pool")
}

async fn add_detections(client: &tokio_postgres::Client, from: i64, count: i64) {
    client
        .execute(
            "INSERT INTO detections (event_id, user_id, title, seniority, kind, rule, rules_version, detected_at)
             SELECT g, 'member-' || g, 'Chief Executive Officer', 'c_suite', 'new', 'chief-executive', 'v1',
                    now() - interval '1 hour' + g * interval '1 second'
             FROM generate_series($1::bigint, $1::bigint + $2::bigint - 1) g",
            &[&from, &count],
        )
        .await
        .expect("detections");
}

fn job() -> Arc<dyn JobHandler> {
    Arc::new(WeeklyDigestJob { channels: vec![Channel::Email, Channel::Teams] })
}

fn utc(text: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(text).expect("instant").with_timezone(&Utc)
}

/// Every detection is in exactly one digest per channel; digests hold 1..=10.
async fn assert_each_detection_once(client: &tokio_postgres::Client, detections: i64) {
    for channel in ["email", "teams"] {
        let row = client
            .query_one(
                "SELECT count(*), count(DISTINCT detection_id) FROM digest_items WHERE channel = $1",
                &[&channel],
            )
            .await
            .expect("items");
        assert_eq!((row.get::<_, i64>(0), row.get::<_, i64>(1)), (detections, detections), "{channel}");
    }
    let oversized: i64 = client
        .query_one(
            "SELECT count(*) FROM digests d WHERE detection_count <> (SELECT count(*) FROM digest_items i WHERE i.digest_id = d.id)
                OR detection_count > 10",
            &[],
        )
        .await
        .expect("sizes")
        .get(0);
    assert_eq!(oversized, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_week_of_23_detections_makes_three_digests_per_channel_once() {
    let db = TestDatabase::migrated().await;
    let client = db.connect().await;
    let pool = pool(&db);
    add_detections(&client, 1, 23).await;
    let week = schedule::period_containing(Job::WeeklyDigest, chrono_tz::America::New_York, Utc::now());
    let handler = job();
    let first = run_once(&pool, handler.as_ref(), &week, Trigger::Schedule).await.expect("run");
    assert_eq!(
        first,
        RunOutcome::Ran(
            serde_json::json!({"email": {"digests": 3, "detections": 23}, "teams": {"digests": 3, "detections": 23}})
        )
    );
    let sizes: Vec<i32> = client
        .query("SELECT detection_count FROM digests WHERE channel = 'email' ORDER BY id", &[])
        .await
        .expect("sizes")
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert_eq!(sizes, vec![10, 10, 3]);
    // The same week again (a doubled schedule): the ledger says it ran.
    assert_eq!(run_once(&pool, handler.as_ref(), &week, Trigger::Schedule).await.expect("run"), RunOutcome::AlreadyRun);
    // By hand: runs, but nothing is left to put in a digest.
    let manual = run_once(&pool, handler.as_ref(), &week, Trigger::Manual).await.expect("manual");
    assert_eq!(
        manual,
        RunOutcome::Ran(
            serde_json::json!({"email": {"digests": 0, "detections": 0}, "teams": {"digests": 0, "detections": 0}})
        )
    );
    // New detections after the build go into the next run only.
    add_detections(&client, 100, 4).await;
    run_once(&pool, handler.as_ref(), &week, Trigger::Manual).await.expect("manual");
    assert_each_detection_once(&client, 27).await;
    let summaries: i64 = client
        .query_one("SELECT count(*) FROM job_runs WHERE summary IS NOT NULL AND finished_at IS NOT NULL", &[])
        .await
        .expect("ledger")
        .get(0);
    assert_eq!(summaries, 3, "the scheduled run and both manual runs are recorded with their summaries");
    let pending: i64 =
        client.query_one("SELECT count(*) FROM digests WHERE status = 'pending'", &[]).await.expect("count").get(0);
    assert_eq!(pending, 8, "3 + 1 digests per channel, waiting for delivery");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_schedulers_catch_up_the_latest_missed_week_once() {
    let db = TestDatabase::migrated().await;
    let client = db.connect().await;
    // Installed on 1 March 2027; everything was down until Wednesday 17 March: two Fridays were missed.
    client
        .batch_execute("UPDATE refinery_schema_history SET applied_on = '2027-03-01T00:00:00+00:00'")
        .await
        .expect("backdate install");
    add_detections(&client, 1, 12).await;
    let now = utc("2027-03-17T15:00:00Z");
    let schedulers: Vec<Scheduler> = (0..3)
        .map(|_| Scheduler {
            pool: pool(&db),
            tz: chrono_tz::America::New_York,
            handlers: vec![job()],
            clock: Arc::new(move || now),
            shutdown: CancellationToken::new(),
        })
        .collect();
    let ran = futures_util::future::join_all(schedulers.iter().map(|s| s.run_due())).await;
    let total: usize = ran.into_iter().map(|r| r.expect("run_due")).sum();
    // weekly-digest's catch-up rule: the latest missed week only (its digests carry every detection not yet sent).
    assert_eq!(total, 1, "of the two missed Fridays (5 and 12 March 2027), the latest ran once across three replicas");
    let rows = client
        .query("SELECT period_key, trigger, scheduled_for FROM job_runs ORDER BY period_key", &[])
        .await
        .expect("ledger");
    let ledger: Vec<(String, String, DateTime<Utc>)> = rows.iter().map(|r| (r.get(0), r.get(1), r.get(2))).collect();
    assert_eq!(ledger, vec![("2027-W10".to_string(), "catch-up".to_string(), utc("2027-03-12T22:00:00Z"))]);
    assert_each_detection_once(&client, 12).await;
    // Running again finds nothing due.
    assert_eq!(schedulers[0].run_due().await.expect("again"), 0);
}
