//! The dashboard in a real browser: headless Chromium (Debian package chromium) driven by playwright-core
//! (tests/e2e, installed by `make test`). A webhook creates a detection through the real classifier; the browser signs
//! in, sees it, presses "Send digests now" and sees the manual digest run queued. With PF_UPDATE_SCREENSHOTS=1 the screenshot
//! replaces docs/dashboard-screenshot.png.

use std::process::Command;
use std::time::{Duration, Instant};

use crate::helpers::{seed, spawn_app_with};

const TOKEN: &str = "browser-test-admin-token";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_operator_signs_in_sees_the_detection_and_queues_digests_in_chromium() {
    let app = spawn_app_with(&[("ADMIN_TOKEN", TOKEN)]).await;
    let shutdown = crate::helpers::start_classifier(&app).await;

    assert_eq!(app.post_community(&seed("browser-1", "Job Title", Some("Chief Revenue Officer"))).await.status, 202);
    let client = app.db.connect().await;
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let detections: i64 = client.query_one("SELECT count(*) FROM detections", &[]).await.expect("count").get(0);
        if detections == 1 {
            break;
        }
        assert!(Instant::now() < deadline, "the classifier did not detect the new senior");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    let repo = concat!(env!("CARGO_MANIFEST_DIR"), "/../..");
    // The committed screenshot is refreshed on request (`make report-screenshot` sets PF_UPDATE_SCREENSHOTS=1).
    let screenshot = if std::env::var("PF_UPDATE_SCREENSHOTS").is_ok_and(|v| v == "1") {
        format!("{repo}/docs/dashboard-screenshot.png")
    } else {
        std::env::temp_dir().join(format!("pf-dashboard-{}.png", uuid::Uuid::new_v4().simple())).display().to_string()
    };
    let output = Command::new("node")
        .current_dir(format!("{repo}/tests/e2e"))
        .args(["dashboard.mjs", &app.address, TOKEN, "Chief Revenue Officer", &screenshot])
        .output()
        .expect("node (tests/e2e; `make test` installs playwright-core and chromium)");
    shutdown.cancel();
    assert!(
        output.status.success(),
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(std::fs::metadata(&screenshot).map(|m| m.len() > 10_000).unwrap_or(false), "a screenshot was taken");
    let queued: i64 = client
        .query_one("SELECT count(*) FROM digest_requests WHERE status = 'pending'", &[])
        .await
        .expect("count")
        .get("count");
    assert_eq!(queued, 1, "the button queued one manual digest run (digest-sender carries it out)");
}
