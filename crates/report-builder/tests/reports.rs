//! Month-end reports against a real database: month boundaries in New York (across the November DST change, the last
//! evening in, 00:30 on the 1st out), an empty month, hostile titles through the CSV round trip, regeneration.

use std::path::PathBuf;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use pathfinder_core::jobs::Trigger;
use pathfinder_core::jobs::scheduler::{RunOutcome, run_once};
use pathfinder_core::schedule::{self, Job};
use pathfinder_core::testing::TestDatabase;
use report_builder::generate::Generator;
use report_builder::html_report::HtmlReport;
use report_builder::jobs::MonthEndReportJob;
use report_builder::storage::ReportStorage;

const NY: chrono_tz::Tz = chrono_tz::America::New_York;

fn utc(text: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(text).expect("instant").with_timezone(&Utc)
}

fn generator(dir: &std::path::Path) -> Arc<Generator> {
    let templates = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../config/templates"));
    Arc::new(Generator {
        html: HtmlReport::load(&templates).expect("template"),
        storage: ReportStorage::Local { root: dir.to_path_buf() },
        tz: NY,
    })
}

fn pool(db: &TestDatabase) -> pathfinder_core::db::DbPool {
    let settings =
        pathfinder_core::Settings::load_from(vec![("DATABASE_URL".to_string(), db.url.clone())]).expect("settings");
    pathfinder_core::db::create_pool(&settings, "report-test").expect("pool")
}

async fn detection(client: &tokio_postgres::Client, id: i64, at: &str, title: &str, kind: &str) {
    let previous = if kind == "promotion" { Some("vp") } else { None };
    client
        .execute(
            "INSERT INTO detections (event_id, user_id, username, title, seniority, previous_seniority, kind, rule,
                                     rules_version, detected_at)
             VALUES ($1::bigint, 'u' || $1::bigint::text, 'name' || $1::bigint::text, $2, 'c_suite', $3, $4,
                     'chief-executive', 'v1', $5)",
            &[&id, &title, &previous, &kind, &utc(at)],
        )
        .await
        .expect("detection");
}

fn temp_dir() -> PathBuf {
    let dir = std::env::temp_dir().join(format!("pf-reports-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).expect("dir");
    dir
}

fn csv_rows(path: &std::path::Path) -> Vec<Vec<String>> {
    let mut reader = csv::Reader::from_path(path).expect("csv");
    reader.records().map(|r| r.expect("record").iter().map(str::to_owned).collect()).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn november_in_new_york_includes_its_last_evening_and_not_the_first_of_december() {
    let db = TestDatabase::migrated().await;
    let client = db.connect().await;
    detection(&client, 1, "2026-11-01T04:30:00Z", "Nov 1, 00:30 EDT", "new").await;
    detection(&client, 2, "2026-11-01T03:59:00Z", "October 31, 23:59 EDT", "new").await;
    detection(&client, 3, "2026-11-01T06:30:00Z", "Nov 1, 01:30 EST (after fall back)", "new").await;
    detection(&client, 4, "2026-12-01T04:30:00Z", "Nov 30, 23:30 EST", "promotion").await;
    detection(&client, 5, "2026-12-01T05:30:00Z", "Dec 1, 00:30 EST", "new").await;
    let dir = temp_dir();
    let job = MonthEndReportJob { generator: generator(&dir) };
    let november = schedule::period_containing(Job::MonthEndReport, NY, utc("2026-11-15T12:00:00Z"));
    let outcome = run_once(&pool(&db), &job, &november, Trigger::Schedule).await.expect("report");
    let RunOutcome::Ran(summary) = outcome else { panic!("ran") };
    assert_eq!(summary["detections"], 3, "{summary}");
    assert_eq!((summary["new"].as_u64(), summary["promotions"].as_u64()), (Some(2), Some(1)));
    let rows = csv_rows(&dir.join("2026-11/senior-executives-2026-11.csv"));
    let ids: Vec<&str> = rows.iter().map(|r| r[1].as_str()).collect();
    assert_eq!(
        ids,
        vec!["u1", "u3", "u4"],
        "00:30 EDT on Nov 1 and 23:30 EST on Nov 30 are November; 23:59 Oct 31 and 00:30 Dec 1 are not"
    );
    assert_eq!(rows[2][0], "2026-11-30 23:30:00 EST");
    assert_eq!(rows[1][0], "2026-11-01 01:30:00 EST");
    let row = client
        .query_one("SELECT status, detection_count, csv_uri, html_uri FROM reports WHERE kind = 'month_end'", &[])
        .await
        .expect("reports row");
    assert_eq!((row.get::<_, String>(0), row.get::<_, i32>(1)), ("ready".to_string(), 3));
    let html_uri: String = row.get(3);
    assert!(
        html_uri.starts_with("file://") && html_uri.ends_with("2026-11/senior-executives-2026-11.html"),
        "{html_uri}"
    );
    let html = std::fs::read_to_string(html_uri.trim_start_matches("file://")).expect("html file");
    assert!(html.contains("Senior executives, November 2026") && html.contains("<svg"), "chart present");
    assert!(!html.contains("<script"), "no script");
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_empty_month_says_so_and_regeneration_replaces_the_files() {
    let db = TestDatabase::migrated().await;
    let dir = temp_dir();
    let job = MonthEndReportJob { generator: generator(&dir) };
    let february = schedule::period_containing(Job::MonthEndReport, NY, utc("2027-02-10T12:00:00Z"));
    run_once(&pool(&db), &job, &february, Trigger::Manual).await.expect("report");
    let html = std::fs::read_to_string(dir.join("2027-02/senior-executives-2027-02.html")).expect("html");
    assert!(html.contains("No member became a senior executive in February 2027"), "the empty month says so");
    assert_eq!(csv_rows(&dir.join("2027-02/senior-executives-2027-02.csv")).len(), 0, "header only");
    // A detection arrives late for February; regenerating replaces the same files and updates the same row.
    detection(&db.connect().await, 9, "2027-02-20T15:00:00Z", "CEO", "new").await;
    run_once(&pool(&db), &job, &february, Trigger::Manual).await.expect("again");
    assert_eq!(csv_rows(&dir.join("2027-02/senior-executives-2027-02.csv")).len(), 1);
    let rows = db.connect().await.query("SELECT detection_count, attempts FROM reports", &[]).await.expect("rows");
    assert_eq!(rows.len(), 1, "one row per month");
    assert_eq!((rows[0].get::<_, i32>(0), rows[0].get::<_, i32>(1)), (1, 2));
    let leftovers = std::fs::read_dir(dir.join("2027-02"))
        .expect("dir")
        .filter_map(Result::ok)
        .filter(|e| e.file_name().to_string_lossy().ends_with(".tmp"))
        .count();
    assert_eq!(leftovers, 0, "no temporary files left");
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_titles_survive_the_csv_round_trip_and_cannot_run_as_formulas() {
    let db = TestDatabase::migrated().await;
    let client = db.connect().await;
    let titles = [
        "CEO, Founder & Chair",
        "The \"Chief\" Officer",
        "VP\nSales\r\nEMEA",
        "=cmd|' /C calc'!A0",
        "+SUM(1,2)",
        "-2+3",
        "@HYPERLINK(\"http://x\")",
        "最高経営責任者 (CEO)",
        "Генеральный директор",
        "مدير تنفيذي",
    ];
    for (n, title) in titles.iter().enumerate() {
        detection(&client, n as i64 + 1, &format!("2027-03-{:02}T15:00:00Z", n + 1), title, "new").await;
    }
    let dir = temp_dir();
    let march = schedule::period_containing(Job::MonthEndReport, NY, utc("2027-03-15T12:00:00Z"));
    run_once(&pool(&db), &MonthEndReportJob { generator: generator(&dir) }, &march, Trigger::Manual)
        .await
        .expect("report");
    let rows = csv_rows(&dir.join("2027-03/senior-executives-2027-03.csv"));
    let read: Vec<&str> = rows.iter().map(|r| r[3].as_str()).collect();
    let expected: Vec<String> = titles.iter().map(|t| report_builder::csv_report::defuse(t)).collect();
    assert_eq!(read, expected.iter().map(String::as_str).collect::<Vec<_>>());
    assert_eq!(read[3], "'=cmd|' /C calc'!A0", "a formula is made inert with a leading quote");
    assert_eq!(read[2], "VP\nSales\r\nEMEA", "newlines survive inside quotes");
    assert_eq!(read[7], "最高経営責任者 (CEO)");
    let raw = std::fs::read_to_string(dir.join("2027-03/senior-executives-2027-03.csv")).expect("raw");
    assert!(raw.starts_with("detected_at,user_id,username,title,seniority,kind,previous_seniority,rule,source\r\n"));
    let _ = std::fs::remove_dir_all(dir);
}

/// Failed before the fix: a report whose build fails was claimed first again on every pass (no attempts, no
/// failed state), so the report queued after it was never built.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_report_is_retried_with_backoff_then_failed_and_never_blocks_the_next() {
    let db = TestDatabase::migrated().await;
    let client = db.connect().await;
    client
        .batch_execute(
            "INSERT INTO reports (month, kind, period_start, period_end, requested_at) VALUES
               ('2025-01-01', 'month_to_date', '2025-01-01T05:00:00Z', '2025-01-15T05:00:00Z', now() - interval '1 hour'),
               ('2025-02-01', 'month_to_date', '2025-02-01T05:00:00Z', '2025-02-15T05:00:00Z', now())",
        )
        .await
        .expect("queue");
    let dir = temp_dir();
    // January's folder cannot be made: a file stands where it would go.
    std::fs::write(dir.join("2025-01"), "not a folder").expect("blocker");
    let generator = generator(&dir);
    let pool = pool(&db);
    let state = |id: i64| {
        let client = &client;
        async move {
            let row = client
                .query_one(
                    "SELECT status, attempts, last_error, next_attempt_at > now() FROM reports WHERE id = $1",
                    &[&id],
                )
                .await
                .expect("row");
            (row.get::<_, String>(0), row.get::<_, i32>(1), row.get::<_, Option<String>>(2), row.get::<_, bool>(3))
        }
    };

    assert!(report_builder::queue::run_once(&pool, &generator).await.expect("first pass"), "January was tried");
    let (status, attempts, error, later) = state(1).await;
    assert_eq!((status.as_str(), attempts, later), ("pending", 1, true), "retried later, with backoff");
    assert!(error.is_some_and(|e| !e.is_empty()));
    assert!(report_builder::queue::run_once(&pool, &generator).await.expect("second pass"), "February's turn");
    assert_eq!(state(2).await.0, "ready", "the report behind the failing one is built");
    assert!(!report_builder::queue::run_once(&pool, &generator).await.expect("idle"), "January waits its backoff");

    for _ in 1..report_builder::queue::MAX_ATTEMPTS {
        client.execute("UPDATE reports SET next_attempt_at = now() WHERE id = 1", &[]).await.expect("due now");
        assert!(report_builder::queue::run_once(&pool, &generator).await.expect("retry"));
    }
    let (status, attempts, error, _) = state(1).await;
    assert_eq!((status.as_str(), attempts), ("failed", report_builder::queue::MAX_ATTEMPTS));
    assert!(error.is_some_and(|e| !e.is_empty()), "its error is kept");
    client.execute("UPDATE reports SET next_attempt_at = now() WHERE id = 1", &[]).await.expect("due now");
    assert!(!report_builder::queue::run_once(&pool, &generator).await.expect("idle"), "a failed report is not claimed");
    let _ = std::fs::remove_dir_all(dir);
}
