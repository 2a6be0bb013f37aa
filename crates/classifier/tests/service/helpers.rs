//! Starting the classifier (in-process or as real processes) and seeding events as ingest-api stores them.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use classifier::Application;
use pathfinder_core::Settings;
use pathfinder_core::testing::TestDatabase;
use tokio_util::sync::CancellationToken;

pub fn rules_path() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../config/classification.toml"))
}

pub fn settings(database_url: &str, extra: &[(&str, &str)]) -> Settings {
    let rules = rules_path().display().to_string();
    let mut vars: Vec<(String, String)> = vec![
        ("DATABASE_URL".into(), database_url.into()),
        ("RULES_PATH".into(), rules),
        ("LOG_LEVEL".into(), "warn".into()),
        ("PATHFINDER_DATABASE__POOL_SIZE".into(), "4".into()),
        ("PATHFINDER_CLASSIFIER__POLL_INTERVAL_MS".into(), "100".into()),
    ];
    vars.extend(extra.iter().map(|(k, v)| (k.to_string(), v.to_string())));
    Settings::load_from(vars).expect("valid settings")
}

/// A running in-process classifier, stopped when dropped.
pub struct Running {
    pub shutdown: CancellationToken,
}

impl Drop for Running {
    fn drop(&mut self) {
        self.shutdown.cancel();
    }
}

pub async fn start(db: &TestDatabase, extra: &[(&str, &str)]) -> Running {
    let shutdown = CancellationToken::new();
    let app =
        Application::build_with_shutdown(settings(&db.url, extra), shutdown.clone()).await.expect("classifier builds");
    tokio::spawn(app.run_until_stopped());
    Running { shutdown }
}

/// A classifier as a real OS process (killed when dropped).
pub struct Process(pub Child);

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

pub fn spawn_process(database_url: &str, rules: &std::path::Path, extra: &[(&str, &str)]) -> Process {
    let mut command = classifier_command(database_url, rules, extra);
    Process(command.stderr(Stdio::inherit()).spawn().expect("start the classifier binary"))
}

/// A classifier process whose log (stderr, at `info`) the test reads line by line.
pub fn spawn_process_with_log(
    database_url: &str,
    rules: &std::path::Path,
    extra: &[(&str, &str)],
) -> (Process, LogLines) {
    let mut command = classifier_command(database_url, rules, extra);
    let mut child = command.env("LOG_LEVEL", "info").stderr(Stdio::piped()).spawn().expect("start the classifier");
    let stderr = child.stderr.take().expect("stderr");
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        use std::io::BufRead;
        for line in std::io::BufReader::new(stderr).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    (Process(child), LogLines(rx))
}

/// The log lines of a [`spawn_process_with_log`] process.
pub struct LogLines(std::sync::mpsc::Receiver<String>);

impl LogLines {
    /// Waits for a line containing every one of `needles`; fails the test after `within`.
    pub fn wait_for(&self, needles: &[&str], within: Duration) -> String {
        let deadline = Instant::now() + within;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.0.recv_timeout(left) {
                Ok(line) if needles.iter().all(|n| line.contains(n)) => return line,
                Ok(_) => {}
                Err(_) => panic!("no log line with {needles:?} within {within:?}"),
            }
        }
    }
}

fn classifier_command(database_url: &str, rules: &std::path::Path, extra: &[(&str, &str)]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_classifier"));
    command
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("DATABASE_URL", database_url)
        .env("RULES_PATH", rules)
        .env("LOG_LEVEL", "warn")
        .env("PATHFINDER_DATABASE__POOL_SIZE", "4")
        .env("PATHFINDER_CLASSIFIER__POLL_INTERVAL_MS", "100")
        .stdout(Stdio::null());
    for (k, v) in extra {
        command.env(k, v);
    }
    command
}

/// Inserts events as ingest-api would; returns their ids in order.
pub async fn insert_events(client: &tokio_postgres::Client, events: &[(&str, Option<&str>)]) -> Vec<i64> {
    let mut ids = Vec::with_capacity(events.len());
    for (user, title) in events {
        let key = format!("test:{}", uuid::Uuid::new_v4());
        let row = client
            .query_one(
                "INSERT INTO events_raw (source, dedupe_key, user_id, username, profile_field, value)
                 VALUES ('community', $1, $2, $2 || '-name', 'Job Title', $3) RETURNING id",
                &[&key, user, title],
            )
            .await
            .expect("insert event");
        ids.push(row.get(0));
    }
    ids
}

/// Waits until no event is pending (or the deadline passes).
pub async fn wait_until_drained(client: &tokio_postgres::Client, within: Duration) {
    wait_until_none(client, "SELECT count(*) FROM events_raw WHERE status = 'pending'", within).await;
}

/// Waits until the count `sql` returns is zero; fails the test after `within`.
pub async fn wait_until_none(client: &tokio_postgres::Client, sql: &str, within: Duration) {
    let deadline = Instant::now() + within;
    loop {
        let left: i64 = client.query_one(sql, &[]).await.expect("count").get(0);
        if left == 0 {
            return;
        }
        assert!(Instant::now() < deadline, "{left} rows still waiting: {sql}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// (kind, seniority, previous) of a member's detections, oldest first.
pub async fn detections_of(client: &tokio_postgres::Client, user: &str) -> Vec<(String, String, Option<String>)> {
    client
        .query(
            "SELECT kind, seniority, previous_seniority FROM detections WHERE user_id = $1 ORDER BY event_id",
            &[&user],
        )
        .await
        .expect("detections")
        .iter()
        .map(|r| (r.get(0), r.get(1), r.get(2)))
        .collect()
}

/// (seniority, title) of a member's state, if senior.
pub async fn state_of(client: &tokio_postgres::Client, user: &str) -> Option<(String, String)> {
    client
        .query_opt("SELECT seniority, title FROM user_state WHERE user_id = $1", &[&user])
        .await
        .expect("state")
        .map(|r| (r.get(0), r.get(1)))
}

pub fn d(kind: &str, level: &str, previous: Option<&str>) -> (String, String, Option<String>) {
    (kind.to_string(), level.to_string(), previous.map(str::to_string))
}
