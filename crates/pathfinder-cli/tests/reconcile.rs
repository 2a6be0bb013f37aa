//! `pathfinder jobs run discourse-reconcile` against tests/fakes/discourse.py: the counts printed, a wrong key a
//! clear error (exit 1) that never shows the key, and a refusal while reconciliation is off.

use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use pathfinder_core::testing::TestDatabase;

struct Fake(Child);

impl Drop for Fake {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn repo() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."))
}

fn start_fake(users: &std::path::Path) -> (Fake, String) {
    let port = TcpListener::bind("127.0.0.1:0").expect("port").local_addr().expect("addr").port();
    let child = Command::new("python3")
        .arg(repo().join("tests/fakes/discourse.py"))
        .args(["--port", &port.to_string(), "--quiet", "--users"])
        .arg(users)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("python3 tests/fakes/discourse.py");
    let deadline = Instant::now() + Duration::from_secs(20);
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "the Discourse fake did not start");
        std::thread::sleep(Duration::from_millis(50));
    }
    (Fake(child), format!("http://127.0.0.1:{port}"))
}

fn reconcile(database_url: &str, base: &str, key: &str, enabled: bool) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_pathfinder"))
        .args(["jobs", "run", "discourse-reconcile"])
        .env("DATABASE_URL", database_url)
        .env("RULES_PATH", repo().join("config/classification.toml"))
        .env("PATHFINDER_DISCOURSE__RECONCILE_ENABLED", enabled.to_string())
        .env("PATHFINDER_DISCOURSE__BASE_URL", base)
        .env("PATHFINDER_DISCOURSE__API_KEY", key)
        .env("PATHFINDER_DISCOURSE__RECONCILE_REQUESTS_PER_MINUTE", "60000")
        .env_remove("PATHFINDER_CONFIG")
        .output()
        .expect("run pathfinder")
}

#[tokio::test]
async fn a_pass_by_hand_prints_its_counts_and_a_wrong_key_is_a_clear_error() {
    let db = TestDatabase::migrated().await;
    let users = std::env::temp_dir().join(format!("pf-forum-users-{}.json", std::process::id()));
    std::fs::write(
        &users,
        r#"[{"id": 11, "username": "ada", "title": "Chief Executive Officer"},
            {"id": 12, "username": "alan", "title": "Engineer"},
            {"id": 13, "username": "mail-in", "title": null, "staged": true}]"#,
    )
    .expect("users file");
    let (_fake, base) = start_fake(&users);

    let ok = reconcile(&db.url, &base, "test-admin-api-key", true);
    assert!(ok.status.success(), "{}", String::from_utf8_lossy(&ok.stderr));
    assert_eq!(
        String::from_utf8_lossy(&ok.stdout),
        "discourse-reconcile pass 1 finished after 1 page(s): 2 members read, 1 unchanged, 1 changed (stored as \
         events), 3 skipped\n"
    );
    let client = db.connect().await;
    let fed: i64 = client
        .query_one("SELECT count(*) FROM events_raw WHERE source = 'discourse' AND user_id = '11'", &[])
        .await
        .expect("events")
        .get(0);
    assert_eq!(fed, 1, "the CEO nothing was known about is stored as an event");

    let refused = reconcile(&db.url, &base, "not-the-key-0123", true);
    assert_eq!(refused.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert!(stderr.contains("discourse-api-refused") && stderr.contains("PATHFINDER_DISCOURSE__API_KEY"), "{stderr}");
    assert!(!stderr.contains("not-the-key-0123") && !String::from_utf8_lossy(&refused.stdout).contains("0123"));

    let off = reconcile(&db.url, &base, "test-admin-api-key", false);
    assert!(!off.status.success());
    assert!(String::from_utf8_lossy(&off.stderr).contains("reconcile-disabled"));
    let _ = std::fs::remove_file(users);
}
