//! purge-events: old processed and failed events go, pending and recent ones stay; old dedupe keys go.

use pathfinder_core::testing::TestDatabase;

const TEMPLATES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../config/templates");

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn old_processed_and_failed_events_are_purged_pending_and_recent_ones_kept() {
    let db = TestDatabase::migrated().await;
    let client = db.connect().await;
    client
        .batch_execute(
            "INSERT INTO events_raw (source, dedupe_key, user_id, profile_field, value, status, received_at)
             SELECT 'community', 'k' || g, 'u' || g, 'Title', 'CEO',
                    (ARRAY['processed', 'failed', 'pending'])[1 + g % 3],
                    CASE WHEN g <= 12000 THEN now() - interval '20 days' ELSE now() - interval '1 day' END
             FROM generate_series(1, 12300) g;
             INSERT INTO webhook_deliveries (dedupe_key, event_id, source, user_id, by_body_hash, received_at) VALUES
               ('old', 1, 'community', 'u1', true, now() - interval '30 days'),
               ('new', 2, 'community', 'u2', true, now() - interval '1 hour');",
        )
        .await
        .expect("seed");
    let settings = pathfinder_core::Settings::load_from(vec![
        ("DATABASE_URL".to_string(), db.url.clone()),
        ("PATHFINDER_DELIVERY__TEMPLATES_DIR".to_string(), TEMPLATES.to_string()),
    ])
    .expect("settings");
    let pool = pathfinder_core::db::create_pool(&settings, "purge-test").expect("pool");
    let generator = report_builder::startup::generator(&settings).expect("generator");
    let retention = report_builder::purge::Retention::from_settings(&settings);
    let purged = report_builder::purge::purge(&pool, &retention, &generator.storage).await.expect("purge");
    assert_eq!(
        purged.events, 8000,
        "two thirds of the 12,000 old events (the pending third stays), over several batches"
    );
    assert_eq!(purged.deliveries, 1);
    let left = client
        .query("SELECT status, received_at < now() - interval '14 days', count(*) FROM events_raw GROUP BY 1, 2 ORDER BY 1, 2", &[])
        .await
        .expect("left");
    let left: Vec<(String, bool, i64)> = left.iter().map(|r| (r.get(0), r.get(1), r.get(2))).collect();
    assert_eq!(
        left,
        vec![
            ("failed".to_string(), false, 100),
            ("pending".to_string(), false, 100),
            ("pending".to_string(), true, 4000),
            ("processed".to_string(), false, 100),
        ]
    );
}

/// Seeds two years and a half of history: sent digests, detections (one old one still waiting in a pending
/// digest), and an old and a recent report with their files.
async fn seed_history(client: &tokio_postgres::Client, reports: &std::path::Path) -> (String, String) {
    let old_file = reports.join("2024-01/senior-executives-2024-01.csv");
    let new_file = reports.join("2026-10/senior-executives-2026-10.csv");
    for file in [&old_file, &new_file] {
        std::fs::create_dir_all(file.parent().expect("dir")).expect("mkdir");
        std::fs::write(file, "id\r\n").expect("write");
    }
    let uri = |p: &std::path::Path| format!("file://{}", std::fs::canonicalize(p).expect("canonical").display());
    let (old_uri, new_uri) = (uri(&old_file), uri(&new_file));
    client
        .batch_execute(&format!(
            "INSERT INTO detections (id, event_id, user_id, title, seniority, kind, rule, rules_version, detected_at)
             VALUES (1, 1, 'old-sent', 'CEO', 'c_suite', 'new', 'r', 'v', now() - interval '900 days'),
                    (2, 2, 'old-waiting', 'CFO', 'c_suite', 'new', 'r', 'v', now() - interval '800 days'),
                    (3, 3, 'recent', 'CTO', 'c_suite', 'new', 'r', 'v', now() - interval '10 days');
             INSERT INTO digests (id, channel, status, run_key, detection_count, sent_at) VALUES
               (1, 'email', 'sent', '2024-W20', 1, now() - interval '800 days'),
               (2, 'email', 'pending', '2026-W47', 1, NULL),
               (3, 'teams', 'sent', '2026-W46', 1, now() - interval '10 days');
             INSERT INTO digest_items (digest_id, detection_id, channel, position) VALUES
               (1, 1, 'email', 1), (2, 2, 'email', 1), (3, 3, 'teams', 1);
             INSERT INTO digest_deliveries (digest_id, attempt, transport, status, duration_ms) VALUES
               (1, 1, 'aa', 'sent', 5), (3, 1, 'aa', 'sent', 5);
             INSERT INTO reports (id, month, kind, status, period_start, period_end, csv_uri, html_uri, completed_at)
             VALUES (1, '2024-01-01', 'month_end', 'ready', '2024-01-01', '2024-02-01', '{old_uri}', '{old_uri}',
                     now() - interval '1000 days'),
                    (2, '2026-10-01', 'month_end', 'ready', '2026-10-01', '2026-11-01', '{new_uri}', '{new_uri}',
                     now() - interval '20 days');"
        ))
        .await
        .expect("seed");
    (old_uri, new_uri)
}

async fn purge_with(
    db: &TestDatabase,
    reports: &std::path::Path,
    retention: &[(&str, &str)],
) -> report_builder::purge::Purged {
    let mut vars = vec![
        ("DATABASE_URL".to_string(), db.url.clone()),
        ("REPORTS_DIR".to_string(), reports.display().to_string()),
        ("PATHFINDER_DELIVERY__TEMPLATES_DIR".to_string(), TEMPLATES.to_string()),
    ];
    vars.extend(retention.iter().map(|(k, v)| (k.to_string(), v.to_string())));
    let settings = pathfinder_core::Settings::load_from(vars).expect("settings");
    let pool = pathfinder_core::db::create_pool(&settings, "purge-test").expect("pool");
    let generator = report_builder::startup::generator(&settings).expect("generator");
    let retention = report_builder::purge::Retention::from_settings(&settings);
    report_builder::purge::purge(&pool, &retention, &generator.storage).await.expect("purge")
}

async fn ids(client: &tokio_postgres::Client, table: &str) -> Vec<i64> {
    let rows = client.query(&format!("SELECT id FROM {table} ORDER BY id"), &[]).await.expect("ids");
    rows.iter().map(|r| r.get(0)).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_table_keeps_its_own_retention_and_zero_keeps_forever() {
    let db = TestDatabase::migrated().await;
    let client = db.connect().await;
    let reports = std::env::temp_dir().join(format!("pf-retention-{}", db.name));
    let (old_uri, new_uri) = seed_history(&client, &reports).await;

    // Defaults: sent digests and detections 730 days, reports kept.
    let purged = purge_with(&db, &reports, &[]).await;
    assert_eq!((purged.sent_digests, purged.detections, purged.reports), (1, 1, 0), "{purged:?}");
    assert_eq!(ids(&client, "digests").await, vec![2, 3], "the old sent digest went, the pending one stays");
    assert_eq!(ids(&client, "detections").await, vec![2, 3], "old detection 2 waits in a pending digest: kept");
    assert_eq!(ids(&client, "digest_deliveries").await.len(), 1, "delivery records go with their digest");
    assert_eq!(ids(&client, "reports").await, vec![1, 2], "reports are kept by default");

    // Reports kept 365 days: the old row and its file go, the recent ones stay.
    let purged = purge_with(&db, &reports, &[("PATHFINDER_RETENTION__REPORT_DAYS", "365")]).await;
    assert_eq!(purged.reports, 1);
    assert_eq!(ids(&client, "reports").await, vec![2]);
    assert!(!std::path::Path::new(old_uri.trim_start_matches("file://")).exists(), "old report file deleted");
    assert!(std::path::Path::new(new_uri.trim_start_matches("file://")).exists(), "recent report file kept");

    // 0 keeps forever, even what is years old.
    client
        .batch_execute("UPDATE digests SET status = 'sent', sent_at = now() - interval '5000 days'")
        .await
        .expect("age");
    let purged = purge_with(
        &db,
        &reports,
        &[("PATHFINDER_RETENTION__SENT_DIGEST_DAYS", "0"), ("PATHFINDER_RETENTION__DETECTION_DAYS", "0")],
    )
    .await;
    assert_eq!((purged.sent_digests, purged.detections), (0, 0));
    assert_eq!(ids(&client, "digests").await, vec![2, 3]);

    let audit = client
        .query("SELECT details FROM audit_log WHERE kind = 'retention.purge' ORDER BY seq", &[])
        .await
        .expect("audit");
    assert_eq!(audit.len(), 3, "each run is recorded in the audit log");
    assert_eq!(audit[0].get::<_, serde_json::Value>(0)["sentDigests"], 1);
    let _ = std::fs::remove_dir_all(&reports);
}

/// Failed before the fix: the scheduler looked at the first 1,000 occurrences after the install only, so the daily
/// purge stopped for good about 2.7 years in. An install three years old (down for the last three days) runs
/// today's purge, only that one (its catch-up rule: the latest missed day), and every missed month-end report, in
/// one pass; a second pass finds nothing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_install_three_years_old_runs_todays_purge_and_every_missed_month_end() {
    use std::sync::Arc;

    use chrono::{Duration, TimeZone, Utc};
    use pathfinder_core::jobs::scheduler::Scheduler;
    use pathfinder_core::schedule::{self, Job};

    let db = TestDatabase::migrated().await;
    let client = db.connect().await;
    let tz = chrono_tz::America::New_York;
    // "Now": today at noon in New York, ten hours after today's 02:00 purge time.
    let today = Utc::now().with_timezone(&tz).date_naive();
    let now = tz.from_local_datetime(&today.and_hms_opt(12, 0, 0).expect("noon")).single().expect("noon").to_utc();
    let installed = now - Duration::days(3 * 365);
    // Month-end reports before the last three days ran; then everything was down.
    let ran_months: Vec<String> = schedule::between(Job::MonthEndReport, tz, installed, now - Duration::days(3))
        .into_iter()
        .map(|o| o.period_key)
        .collect();
    client
        .execute(
            "UPDATE refinery_schema_history SET applied_on = to_char($1::timestamptz AT TIME ZONE 'UTC',
                                                                     'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')",
            &[&installed],
        )
        .await
        .expect("backdate install");
    client
        .execute(
            "INSERT INTO job_runs (job, period_key, scheduled_for, trigger, finished_at)
             SELECT 'month-end-report', k, now(), 'schedule', now() FROM unnest($1::text[]) k",
            &[&ran_months],
        )
        .await
        .expect("past reports");
    client
        .batch_execute(
            "INSERT INTO events_raw (source, dedupe_key, user_id, profile_field, value, status, received_at)
             VALUES ('community', 'old', 'u1', 'Title', 'CEO', 'processed', now() - interval '20 days')",
        )
        .await
        .expect("old event");

    let reports = std::env::temp_dir().join(format!("pf-catch-up-{}", db.name));
    let settings = pathfinder_core::Settings::load_from(vec![
        ("DATABASE_URL".to_string(), db.url.clone()),
        ("REPORTS_DIR".to_string(), reports.display().to_string()),
        ("PATHFINDER_DELIVERY__TEMPLATES_DIR".to_string(), TEMPLATES.to_string()),
    ])
    .expect("settings");
    let pool = pathfinder_core::db::create_pool(&settings, "catch-up-test").expect("pool");
    let generator = report_builder::startup::generator(&settings).expect("generator");
    let (month_end, purge) = report_builder::startup::jobs(&settings, generator);
    let scheduler = Scheduler {
        pool,
        tz,
        handlers: vec![Arc::new(month_end), Arc::new(purge)],
        clock: Arc::new(move || now),
        shutdown: tokio_util::sync::CancellationToken::new(),
    };
    let missed_months: Vec<String> = schedule::between(Job::MonthEndReport, tz, installed, now)
        .into_iter()
        .map(|o| o.period_key)
        .filter(|key| !ran_months.contains(key))
        .collect();
    let ran = scheduler.run_due().await.expect("run_due");
    assert_eq!(ran, 1 + missed_months.len(), "today's purge and each missed month-end ({missed_months:?})");

    let purges = client
        .query("SELECT period_key, trigger FROM job_runs WHERE job = 'purge-events' ORDER BY period_key", &[])
        .await
        .expect("ledger");
    let purges: Vec<(String, String)> = purges.iter().map(|r| (r.get(0), r.get(1))).collect();
    assert_eq!(purges, vec![(today.format("%Y-%m-%d").to_string(), "catch-up".to_string())], "today's purge only");
    let left: i64 = client.query_one("SELECT count(*) FROM events_raw", &[]).await.expect("count").get(0);
    assert_eq!(left, 0, "the purge really ran");
    let month_ends: i64 = client
        .query_one("SELECT count(*) FROM job_runs WHERE job = 'month-end-report'", &[])
        .await
        .expect("count")
        .get(0);
    assert_eq!(month_ends as usize, ran_months.len() + missed_months.len());
    assert_eq!(scheduler.run_due().await.expect("again"), 0, "nothing is due any more");
    let _ = std::fs::remove_dir_all(&reports);
}
