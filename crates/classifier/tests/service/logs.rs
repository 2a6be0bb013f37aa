//! Logs carry ids only: a real classifier process logging at info level, in JSON, applies members'
//! events (new seniors, a promotion, a member who stops being senior) and its log never holds their names or titles.

use std::process::{Command, Stdio};
use std::time::Duration;

use pathfinder_core::testing::TestDatabase;

use crate::helpers::{Process, rules_path, wait_until_drained};

const NAME: &str = "Griselda Vonnegutova";
const TITLES: [&str; 3] = ["VP of Zorbleconia Sales", "Chief Zorbleconia Officer", "Zorbleconia Intern"];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn info_logs_hold_ids_but_never_names_or_titles() {
    let db = TestDatabase::migrated().await;
    let client = db.connect().await;
    for (n, title) in TITLES.iter().enumerate() {
        for user in ["log-member-1", "log-member-2"] {
            client
                .execute(
                    "INSERT INTO events_raw (source, dedupe_key, user_id, username, profile_field, value)
                     VALUES ('community', $1, $2, $3, 'Job Title', $4)",
                    &[&format!("logs:{user}:{n}"), &user, &NAME, title],
                )
                .await
                .expect("insert");
        }
    }
    let log = std::env::temp_dir().join(format!("pf-classifier-log-{}.jsonl", db.name));
    let file = std::fs::File::create(&log).expect("log file");
    let child = Command::new(env!("CARGO_BIN_EXE_classifier"))
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("DATABASE_URL", &db.url)
        .env("RULES_PATH", rules_path())
        .env("LOG_LEVEL", "info")
        .env("LOG_FORMAT", "json")
        .env("PATHFINDER_DATABASE__POOL_SIZE", "4")
        .env("PATHFINDER_CLASSIFIER__BATCH_SIZE", "1")
        .stdout(Stdio::null())
        .stderr(file)
        .spawn()
        .expect("start the classifier binary");
    let process = Process(child);
    wait_until_drained(&client, Duration::from_secs(30)).await;
    let detections: i64 = client.query_one("SELECT count(*) FROM detections", &[]).await.expect("count").get(0);
    assert_eq!(detections, 4, "a new senior and a promotion per member");
    drop(process);

    let text = std::fs::read_to_string(&log).expect("read log");
    let _ = std::fs::remove_file(&log);
    assert!(text.contains("log-member-1"), "the log names members by id:\n{text}");
    assert!(text.lines().count() >= 4, "the classifier logged its work:\n{text}");
    for secret in [NAME, "Griselda", "Zorbleconia"] {
        assert!(!text.contains(secret), "the log holds {secret:?}:\n{text}");
    }
}
