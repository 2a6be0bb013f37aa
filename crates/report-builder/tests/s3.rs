//! S3-compatible storage against a local S3 server (moto's server mode, started by the test on 127.0.0.1): the
//! report's objects are uploaded and readable, the row records s3:// URIs, and a failed upload leaves no row.

use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use object_store::ObjectStoreExt;
use pathfinder_core::jobs::Trigger;
use pathfinder_core::jobs::scheduler::run_once;
use pathfinder_core::schedule::{self, Job};
use pathfinder_core::settings::StorageSettings;
use pathfinder_core::testing::TestDatabase;
use report_builder::generate::Generator;
use report_builder::html_report::HtmlReport;
use report_builder::jobs::MonthEndReportJob;
use report_builder::storage::ReportStorage;

struct S3Server {
    child: Child,
    port: u16,
}

impl Drop for S3Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).map(|a| a.port()).expect("port")
}

/// moto's S3 server (pip package moto[server], installed by `make test` into .venv/).
async fn start_s3() -> S3Server {
    let port = free_port();
    let child = Command::new(pathfinder_core::testing::python_tool("python3"))
        .args(["-m", "moto.server", "-H", "127.0.0.1", "-p", &port.to_string()])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("python3 -m moto.server (make test installs moto[server] into .venv/)");
    let server = S3Server { child, port };
    let deadline = Instant::now() + Duration::from_secs(30);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "the S3 server did not start (is moto[server] installed?)");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    server
}

fn s3_settings(endpoint: &str) -> StorageSettings {
    StorageSettings {
        backend: "s3".into(),
        s3_bucket: "pathfinder-reports".into(),
        s3_prefix: "acme/".into(),
        s3_region: "us-east-1".into(),
        s3_endpoint: endpoint.into(),
        s3_access_key_id: "test-key".into(),
        s3_secret_access_key: "test-secret".into(),
        s3_allow_http: true,
    }
}

fn job(storage: ReportStorage) -> MonthEndReportJob {
    let templates = std::path::PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../config/templates"));
    let html = HtmlReport::load(&templates).expect("template");
    MonthEndReportJob { generator: Arc::new(Generator { html, storage, tz: chrono_tz::America::New_York }) }
}

fn utc(text: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(text).expect("instant").with_timezone(&Utc)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reports_go_to_s3_and_a_failed_upload_leaves_no_row() {
    let db = TestDatabase::migrated().await;
    let client = db.connect().await;
    client
        .execute(
            "INSERT INTO detections (event_id, user_id, title, seniority, kind, rule, rules_version, detected_at)
             VALUES (1, 'u1', 'Chief Data Officer', 'c_suite', 'new', 'chief-officer', 'v1', $1)",
            &[&utc("2027-03-10T15:00:00Z")],
        )
        .await
        .expect("detection");
    let settings =
        pathfinder_core::Settings::load_from(vec![("DATABASE_URL".to_string(), db.url.clone())]).expect("settings");
    let pool = pathfinder_core::db::create_pool(&settings, "s3-test").expect("pool");
    let march =
        schedule::period_containing(Job::MonthEndReport, chrono_tz::America::New_York, utc("2027-03-15T12:00:00Z"));

    // Nothing listens: the upload fails (after object_store's retries), the job fails, no row claims a file.
    let dead = format!("http://127.0.0.1:{}", free_port());
    let failed = run_once(
        &pool,
        &job(ReportStorage::from_settings(&s3_settings(&dead), "./unused").expect("storage")),
        &march,
        Trigger::Manual,
    )
    .await;
    assert!(failed.is_err(), "the job fails when the upload fails");
    let rows: i64 = client.query_one("SELECT count(*) FROM reports", &[]).await.expect("count").get(0);
    assert_eq!(rows, 0, "no row for files that do not exist");

    let server = start_s3().await;
    let endpoint = format!("http://127.0.0.1:{}", server.port);
    let http = reqwest::Client::new();
    let created = http.put(format!("{endpoint}/pathfinder-reports")).send().await.expect("create bucket");
    assert!(created.status().is_success(), "bucket: {}", created.status());
    let storage = ReportStorage::from_settings(&s3_settings(&endpoint), "./unused").expect("storage");
    run_once(&pool, &job(storage), &march, Trigger::Manual).await.expect("report to S3");

    let row = client.query_one("SELECT status, csv_uri, html_uri FROM reports", &[]).await.expect("row");
    assert_eq!(row.get::<_, String>(0), "ready");
    assert_eq!(row.get::<_, String>(1), "s3://pathfinder-reports/acme/2027-03/senior-executives-2027-03.csv");
    assert_eq!(row.get::<_, String>(2), "s3://pathfinder-reports/acme/2027-03/senior-executives-2027-03.html");
    // Read the objects back through the S3 API (signed GETs).
    let reader = ReportStorage::from_settings(&s3_settings(&endpoint), "./unused").expect("storage");
    let ReportStorage::S3 { store, .. } = &reader else { panic!("an S3 storage") };
    let get = |key: &'static str| {
        let store = store.clone();
        async move {
            let object = store.get(&object_store::path::Path::from(key)).await.expect("object exists");
            String::from_utf8(object.bytes().await.expect("bytes").to_vec()).expect("utf-8")
        }
    };
    let csv = get("acme/2027-03/senior-executives-2027-03.csv").await;
    assert!(csv.starts_with("detected_at,user_id") && csv.contains("Chief Data Officer"), "{csv}");
    let html = get("acme/2027-03/senior-executives-2027-03.html").await;
    assert!(html.contains("Senior executives, March 2027"));
}
