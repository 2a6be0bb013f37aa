//! Discourse reconciliation against tests/fakes/discourse.py (the admin API as Discourse's source has it: paging,
//! Api-Key, 429 with Retry-After) and a real PostgreSQL: a lost webhook is caught, unchanged titles feed nothing,
//! 429 is waited out, an interrupted pass continues at its cursor, a wrong key is a clear error, erasure removes
//! the reconciliation record.

use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use classifier::reconcile::job::DiscourseReconcileJob;
use classifier::reconcile::{DriveOutcome, ReconcileError, Reconciler, pass};
use classifier::rules::SharedRules;
use pathfinder_core::jobs::Trigger;
use pathfinder_core::jobs::scheduler::run_once;
use pathfinder_core::member::Source;
use pathfinder_core::schedule::{self, Job};
use pathfinder_core::testing::TestDatabase;
use serde_json::{Value, json};

use crate::helpers::{self, rules_path};

const KEY: &str = "test-admin-api-key";

struct Fake {
    child: Child,
    base: String,
}

impl Drop for Fake {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Fake {
    async fn start() -> Self {
        let port = TcpListener::bind("127.0.0.1:0").expect("port").local_addr().expect("addr").port();
        let script = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/fakes/discourse.py"));
        let child = Command::new("python3")
            .arg(script)
            .args(["--port", &port.to_string(), "--api-key", KEY, "--quiet"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("python3 tests/fakes/discourse.py");
        let fake = Self { child, base: format!("http://127.0.0.1:{port}") };
        let deadline = Instant::now() + Duration::from_secs(20);
        while reqwest::get(format!("{}/_fake/health", fake.base)).await.is_err() {
            assert!(Instant::now() < deadline, "the Discourse fake did not start");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        fake
    }

    async fn post(&self, path: &str, body: Value) {
        let answer = reqwest::Client::new().post(format!("{}{path}", self.base)).json(&body).send().await;
        assert!(answer.expect("fake control").status().is_success(), "{path}");
    }

    /// Members 1..=n, all "Engineer" except the titles given.
    async fn members(&self, n: i64, titles: &[(i64, &str)]) {
        let users: Vec<Value> = (1..=n)
            .map(|id| {
                let title = titles.iter().find(|(i, _)| *i == id).map_or("Engineer", |(_, t)| t);
                json!({"id": id, "username": format!("member{id}"), "title": title})
            })
            .collect();
        self.post("/_fake/users", Value::Array(users)).await;
    }

    async fn requests(&self) -> Vec<Value> {
        reqwest::get(format!("{}/_fake/requests", self.base)).await.expect("requests").json().await.expect("json")
    }
}

fn reconciler(db: &TestDatabase, fake: &Fake, key: &str, max_pages: &str) -> Reconciler {
    let settings = helpers::settings(
        &db.url,
        &[
            ("PATHFINDER_DISCOURSE__RECONCILE_ENABLED", "true"),
            ("PATHFINDER_DISCOURSE__BASE_URL", &fake.base),
            ("PATHFINDER_DISCOURSE__API_KEY", key),
            ("PATHFINDER_DISCOURSE__API_USERNAME", "system"),
            ("PATHFINDER_DISCOURSE__RECONCILE_REQUESTS_PER_MINUTE", "60000"),
            ("PATHFINDER_DISCOURSE__RECONCILE_MAX_PAGES", max_pages),
        ],
    );
    let pool = pathfinder_core::db::create_pool(&settings, "reconcile-test").expect("pool");
    let rules = SharedRules::load(rules_path()).expect("rules");
    Reconciler::from_settings(&settings, pool, rules, "test-holder".into()).expect("reconciler")
}

/// Opens a pass as `pathfinder jobs run discourse-reconcile` does.
async fn open_pass(reconciler: &Reconciler) {
    let tz = helpers::settings("postgres://unused", &[]).tz();
    let occurrence = schedule::period_containing(Job::DiscourseReconcile, tz, chrono::Utc::now());
    run_once(
        &reconciler.pool,
        &DiscourseReconcileJob { manual: true, rule: schedule::Rule::of(Job::DiscourseReconcile) },
        &occurrence,
        Trigger::Manual,
    )
    .await
    .expect("pass opened");
}

async fn count(client: &tokio_postgres::Client, sql: &str) -> i64 {
    client.query_one(sql, &[]).await.expect("count").get(0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lost_webhook_is_caught_and_unchanged_titles_feed_nothing() {
    let db = TestDatabase::migrated().await;
    let client = db.connect().await;
    let _classifier = helpers::start(&db, &[]).await;
    let fake = Fake::start().await;
    // 150 members (two pages with the system users); member 7 became CEO and its webhook was lost; member 8 is a
    // VP imported as the baseline.
    fake.members(150, &[(7, "Chief Executive Officer"), (8, "VP Sales")]).await;
    client
        .execute(
            "INSERT INTO user_state (source, user_id, username, title, seniority, rule, rules_version, last_event_id,
                                     senior_since, updated_at)
             VALUES ('discourse', '8', 'member8', 'VP Sales', 'vp', 'vice-president', 'import', 0, now(), now())",
            &[],
        )
        .await
        .expect("baseline");
    let reconciler = reconciler(&db, &fake, KEY, "0");

    open_pass(&reconciler).await;
    let DriveOutcome::Finished { pages, counts, .. } = reconciler.drive().await.expect("pass") else {
        panic!("the pass reads to the end")
    };
    assert_eq!((pages, counts.members, counts.fed, counts.unchanged, counts.skipped), (2, 150, 1, 149, 2));
    helpers::wait_until_drained(&client, Duration::from_secs(20)).await;
    let detections = client
        .query("SELECT source, user_id, kind, seniority FROM detections", &[])
        .await
        .expect("detections")
        .iter()
        .map(|r| (r.get::<_, String>(0), r.get::<_, String>(1), r.get::<_, String>(2), r.get::<_, String>(3)))
        .collect::<Vec<_>>();
    assert_eq!(detections, vec![("discourse".into(), "7".into(), "new".into(), "c_suite".into())]);
    assert_eq!(count(&client, "SELECT count(*) FROM reconcile_titles").await, 150, "every member recorded");

    // The next day nothing changed: no event at all.
    open_pass(&reconciler).await;
    let DriveOutcome::Finished { counts, .. } = reconciler.drive().await.expect("pass") else { panic!("finished") };
    assert_eq!((counts.fed, counts.unchanged), (0, 150));
    assert_eq!(count(&client, "SELECT count(*) FROM events_raw").await, 1, "only the lost webhook's event");

    // Member 8 is promoted through a sync path that sends no webhook: caught as a promotion.
    fake.members(150, &[(7, "Chief Executive Officer"), (8, "Chief Operating Officer")]).await;
    open_pass(&reconciler).await;
    let DriveOutcome::Finished { counts, .. } = reconciler.drive().await.expect("pass") else { panic!("finished") };
    assert_eq!(counts.fed, 1);
    helpers::wait_until_drained(&client, Duration::from_secs(20)).await;
    let kinds: Vec<String> = client
        .query("SELECT kind FROM detections WHERE source = 'discourse' AND user_id = '8'", &[])
        .await
        .expect("detections")
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert_eq!(kinds, vec!["promotion".to_string()]);
    let audited = count(&client, "SELECT count(*) FROM audit_log WHERE kind = 'reconcile.pass'").await;
    assert_eq!(audited, 3, "each finished pass is audited");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_429_is_waited_out_as_retry_after_says() {
    let db = TestDatabase::migrated().await;
    let fake = Fake::start().await;
    fake.members(5, &[(3, "CEO")]).await;
    fake.post("/_fake/rate-limit?after=2&wait=2", json!({})).await;
    let reconciler = reconciler(&db, &fake, KEY, "0");
    open_pass(&reconciler).await;
    let DriveOutcome::Finished { counts, .. } = reconciler.drive().await.expect("pass") else { panic!("finished") };
    assert_eq!((counts.members, counts.fed), (5, 1), "every member read despite the 429");
    let requests = fake.requests().await;
    let limited = requests.iter().position(|r| r["status"] == 429).expect("the fake answered 429 once");
    assert_eq!(requests.iter().filter(|r| r["status"] == 429).count(), 1, "no request inside the wait");
    let waited = requests[limited + 1]["at"].as_f64().expect("at") - requests[limited]["at"].as_f64().expect("at");
    assert!(waited >= 1.95, "the next request came {waited:.2} s after the 429, which asked for 2 s");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_interrupted_pass_continues_at_its_cursor() {
    let db = TestDatabase::migrated().await;
    let client = db.connect().await;
    let fake = Fake::start().await;
    fake.members(250, &[(120, "VP Engineering"), (230, "CFO")]).await;
    fake.post("/_fake/fail?page=2&status=502", json!({})).await;
    let reconciler = reconciler(&db, &fake, KEY, "0");
    open_pass(&reconciler).await;
    let error = reconciler.drive().await.expect_err("page 2 fails");
    assert_eq!(error.code(), "discourse-api-status");
    let row = client.query_one("SELECT next_page, members, last_error, locked_by FROM reconcile_passes", &[]).await;
    let row = row.expect("the pass");
    assert_eq!(row.get::<_, i32>(0), 2, "page 1 is committed, page 2 is next");
    assert_eq!(row.get::<_, i32>(1), 98);
    assert!(row.get::<_, String>(2).starts_with("discourse-api-status"));
    assert_eq!(row.get::<_, Option<String>>(3), None, "the lease is let go");

    fake.post("/_fake/recover", json!({})).await;
    let DriveOutcome::Finished { pages, counts, .. } = reconciler.drive().await.expect("pass") else {
        panic!("finished")
    };
    assert_eq!((pages, counts.members, counts.fed), (3, 250, 2));
    let pages_read: Vec<String> = fake
        .requests()
        .await
        .iter()
        .filter(|r| r["path"] == "/admin/users/list/active.json")
        .map(|r| r["page"].as_str().unwrap_or_default().to_string())
        .collect();
    assert_eq!(pages_read, ["1", "2", "2", "3"], "page 1 is not read again");
    assert_eq!(count(&client, "SELECT count(*) FROM events_raw").await, 2, "nothing fed twice");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_page_limit_pauses_a_pass_until_its_next_run_and_one_process_works_it_at_a_time() {
    let db = TestDatabase::migrated().await;
    let fake = Fake::start().await;
    fake.members(150, &[]).await;
    let reconciler = reconciler(&db, &fake, KEY, "1");
    open_pass(&reconciler).await;
    assert!(matches!(reconciler.drive().await, Ok(DriveOutcome::Paused { next_page: 2, .. })));
    assert!(matches!(reconciler.drive().await, Ok(DriveOutcome::Waiting { next_page: 2, .. })), "not before its run");
    open_pass(&reconciler).await;
    // Another process holds the lease: this one leaves the pass alone.
    pass::claim(&reconciler.pool, "other-replica", Duration::from_secs(60)).await.expect("claim").expect("claimed");
    let busy = reconciler.drive().await.expect("drive");
    assert_eq!(busy, DriveOutcome::Busy { pass: 1, holder: "other-replica".into() });
    pass::release_all(&reconciler.pool, "other-replica").await.expect("release");
    let DriveOutcome::Finished { pages, counts, .. } = reconciler.drive().await.expect("pass") else {
        panic!("finished")
    };
    assert_eq!((pages, counts.members), (2, 150));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_api_key_is_a_clear_error_that_never_shows_the_key() {
    let db = TestDatabase::migrated().await;
    let fake = Fake::start().await;
    fake.members(3, &[]).await;
    let reconciler = reconciler(&db, &fake, "a-wrong-secret-key", "0");
    open_pass(&reconciler).await;
    let error = reconciler.drive().await.expect_err("refused");
    assert_eq!(error, ReconcileError::Refused(403));
    let text = error.to_string();
    assert!(text.contains("PATHFINDER_DISCOURSE__API_KEY"), "{text}");
    assert!(!text.contains("a-wrong-secret-key"));
    let stored: String =
        db.connect().await.query_one("SELECT last_error FROM reconcile_passes", &[]).await.expect("pass").get(0);
    assert!(stored.starts_with("discourse-api-refused") && !stored.contains("a-wrong-secret-key"), "{stored}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn erasure_removes_the_reconciliation_record() {
    let db = TestDatabase::migrated().await;
    let mut client = db.connect().await;
    let fake = Fake::start().await;
    fake.members(3, &[]).await;
    let reconciler = reconciler(&db, &fake, KEY, "0");
    open_pass(&reconciler).await;
    assert!(matches!(reconciler.drive().await, Ok(DriveOutcome::Finished { .. })));
    assert_eq!(count(&client, "SELECT count(*) FROM reconcile_titles").await, 3);
    let tx = client.transaction().await.expect("tx");
    let erased =
        pathfinder_core::privacy::forget_member(&tx, "2", Some(Source::Discourse), false, "test").await.expect("erase");
    tx.commit().await.expect("commit");
    assert_eq!(erased.members_found, 1, "the record alone makes a member found");
    let left: Vec<String> = client
        .query("SELECT user_id FROM reconcile_titles ORDER BY user_id", &[])
        .await
        .expect("records")
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert_eq!(left, ["1", "3"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_classifier_works_an_open_pass_by_itself() {
    let db = TestDatabase::migrated().await;
    let client = db.connect().await;
    let fake = Fake::start().await;
    fake.members(4, &[(4, "Chief Technology Officer")]).await;
    open_pass(&reconciler(&db, &fake, KEY, "0")).await;
    let _classifier = helpers::start(
        &db,
        &[
            ("PATHFINDER_DISCOURSE__RECONCILE_ENABLED", "true"),
            ("PATHFINDER_DISCOURSE__BASE_URL", &fake.base),
            ("PATHFINDER_DISCOURSE__API_KEY", KEY),
            ("PATHFINDER_DISCOURSE__RECONCILE_REQUESTS_PER_MINUTE", "60000"),
        ],
    )
    .await;
    let within = Duration::from_secs(30);
    helpers::wait_until_none(
        &client,
        "SELECT count(*) FROM reconcile_passes WHERE id = 1 AND finished_at IS NULL",
        within,
    )
    .await;
    let missing = "SELECT 1 - count(*) FROM detections WHERE source = 'discourse' AND user_id = '4' AND kind = 'new'";
    helpers::wait_until_none(&client, missing, within).await;
}
