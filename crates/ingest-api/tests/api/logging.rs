//! Logging never stalls a request: the real ingest-api binary at the default log level (one line per accepted
//! webhook) with a stderr that nobody reads. Once the pipe's buffer (64 KiB) is full, a synchronous writer would hold
//! every request that logs; through the non-blocking writer every webhook is still answered at once.

use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use pathfinder_core::testing::TestDatabase;

/// Killed when dropped.
struct Process(Child);

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Accepted webhooks sent: their log lines (about 250 bytes each) are several times what the pipe holds.
const WEBHOOKS: usize = 1000;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn webhooks_are_answered_while_nobody_reads_the_log() {
    let db = TestDatabase::migrated().await;
    let port = TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).map(|a| a.port()).expect("port");
    let process = Process(
        Command::new(env!("CARGO_BIN_EXE_ingest-api"))
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("DATABASE_URL", &db.url)
            .env("BIND_ADDR", format!("127.0.0.1:{port}"))
            .env("PATHFINDER_ENV_FILE", "none")
            .env("PATHFINDER_DATABASE__POOL_SIZE", "4")
            .env("PATHFINDER_DELIVERY__TEMPLATES_DIR", concat!(env!("CARGO_MANIFEST_DIR"), "/../../config/templates"))
            .stdout(Stdio::null())
            // Piped and never read: it fills after 64 KiB.
            .stderr(Stdio::piped())
            .spawn()
            .expect("start ingest-api"),
    );
    let http = reqwest::Client::builder().timeout(Duration::from_secs(5)).build().expect("client");
    let base = format!("http://127.0.0.1:{port}");
    let deadline = Instant::now() + Duration::from_secs(30);
    while !http.get(format!("{base}/ready")).send().await.is_ok_and(|r| r.status() == 200) {
        assert!(Instant::now() < deadline, "ingest-api did not become ready");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    for n in 0..WEBHOOKS {
        let body = serde_json::json!({
            "userId": format!("log-member-{n}"), "profileField": "Job Title", "value": "VP of Sales", "oldValue": null
        });
        let answer = http
            .post(format!("{base}/webhooks/community"))
            .json(&body)
            .send()
            .await
            .unwrap_or_else(|e| panic!("webhook {n} not answered within 5 s (is logging blocking?): {e}"));
        assert_eq!(answer.status(), 202, "webhook {n}");
    }
    let stored: i64 = db.connect().await.query_one("SELECT count(*) FROM events_raw", &[]).await.expect("count").get(0);
    assert_eq!(stored, WEBHOOKS as i64);
    drop(process);
}
