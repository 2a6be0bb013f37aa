//! Teams delivery as the real endpoints behave: member-supplied Markdown shown as text, every message under 28 KB
//! with no detection dropped, and the answers of Workflows (202) and legacy connectors (200 "1", errors inside a
//! 200 body, 413 included) as tests/fakes/outside.py gives them.

mod support;

use std::net::TcpListener;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use digest_sender::assemble::Channel;
use digest_sender::render::TEAMS_MESSAGE_MAX_BYTES;
use digest_sender::transport::{Sandbox, Transport};
use pathfinder_core::testing::TestDatabase;
use support::{Process, detections_and_build, repo, sender, start_teams, statuses, teams, temp_dir};

/// Every TextBlock text of every container (one per detection) of a card.
fn detection_texts(card: &serde_json::Value) -> Vec<Vec<String>> {
    card["body"]
        .as_array()
        .map(|body| {
            body.iter()
                .filter(|block| block["type"] == "Container")
                .map(|c| {
                    c["items"]
                        .as_array()
                        .into_iter()
                        .flatten()
                        .filter_map(|i| i["text"].as_str())
                        .map(String::from)
                        .collect()
                })
                .collect()
        })
        .unwrap_or_default()
}

/// Failed before the fix: the title's link and the name's emphasis reached the card as Markdown.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn markdown_in_member_fields_reaches_the_card_as_text() {
    let db = TestDatabase::migrated().await;
    db.connect()
        .await
        .execute(
            "INSERT INTO detections (event_id, user_id, username, title, seniority, kind, rule, rules_version, company)
             VALUES (1, 'u1', '*Ada* _Lovelace_', 'CEO [Verify your account](https://evil.example)', 'c_suite',
                     'new', 'chief-executive', 'v1', '# Acme | `Corp`')",
            &[],
        )
        .await
        .expect("detection");
    support::build(&db, vec![Channel::Teams]).await;
    let outbox = temp_dir();
    let transports = [("teams", Transport::Sandbox(Sandbox { outbox: outbox.clone() }))].into();
    assert_eq!(sender(&db, transports, 3).run_once(10).await.expect("pass").sent, 1);
    let card: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(outbox.join("digest-1-teams.json")).expect("card"))
            .expect("json");
    let texts = detection_texts(&card);
    assert_eq!(texts[0][0], r"\*Ada\* \_Lovelace\_");
    assert_eq!(texts[0][1], r"CEO \[Verify your account\](https://evil.example)");
    assert!(texts[0][2].contains(r"\# Acme \| \`Corp\`"), "{}", texts[0][2]);
    let _ = std::fs::remove_dir_all(outbox);
}

/// Failed before the fix: ten detections at long field lengths made one ~45 KB message, over Teams' limit.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ten_long_detections_go_out_in_messages_under_28_kb_and_none_is_dropped() {
    let db = TestDatabase::migrated().await;
    db.connect()
        .await
        .execute(
            "INSERT INTO detections (event_id, user_id, username, title, seniority, kind, rule, rules_version, email,
                                     company)
             SELECT g, 'member-' || g, 'member ' || g || ' ' || repeat('é', 300),
                    'Chief Executive Officer ' || repeat('and Founder ', 200), 'c_suite', 'new', 'chief-executive',
                    'v1', 'm' || g || '@example.com', repeat('Ünïcödé Holdings ', 60)
             FROM generate_series(1, 10) g",
            &[],
        )
        .await
        .expect("detections");
    support::build(&db, vec![Channel::Teams]).await;
    let (url, fake) = start_teams(0, None);
    assert_eq!(sender(&db, teams(url), 3).run_once(10).await.expect("pass").sent, 1);
    let bodies = fake.bodies.lock().expect("bodies").clone();
    let mut members = Vec::new();
    for (n, body) in bodies.iter().enumerate() {
        let bytes = body.to_string().len();
        assert!(bytes <= TEAMS_MESSAGE_MAX_BYTES, "message {n} is {bytes} bytes");
        let card = &body["attachments"][0]["content"];
        let summary = card["body"][1]["text"].as_str().unwrap_or_default();
        if bodies.len() > 1 {
            assert!(summary.ends_with(&format!("(part {} of {})", n + 1, bodies.len())), "{summary}");
        }
        for texts in detection_texts(card) {
            assert!(texts[1].ends_with('…'), "a long title is shortened, visibly");
            members.push(texts[0].split(' ').take(2).collect::<Vec<_>>().join(" "));
        }
    }
    let expected: Vec<String> = (1..=10).map(|g| format!("member {g}")).collect();
    assert_eq!(members, expected, "every detection once, in order");
}

/// tests/fakes/outside.py on a free port, with extra arguments; killed when dropped.
async fn outside_fake(extra: &[&str]) -> (Process, String) {
    let port = TcpListener::bind("127.0.0.1:0").expect("free port").local_addr().expect("addr").port();
    let child = Command::new("python3")
        .arg(repo().join("tests/fakes/outside.py"))
        .args(["--bind", "127.0.0.1", "--port", &port.to_string(), "--quiet"])
        .args(extra)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("python3 tests/fakes/outside.py");
    let base = format!("http://127.0.0.1:{port}");
    let http = reqwest::Client::new();
    let deadline = Instant::now() + Duration::from_secs(20);
    while http.get(format!("{base}/_fake/health")).send().await.is_err() {
        assert!(Instant::now() < deadline, "outside fake did not start");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    (Process(child), base)
}

async fn deliveries(base: &str) -> Vec<serde_json::Value> {
    reqwest::get(format!("{base}/_fake/deliveries")).await.expect("deliveries").json().await.expect("json")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn workflows_202_and_legacy_connector_200_one_are_both_sent() {
    let (_fake, base) = outside_fake(&[]).await;
    for (path, transport) in [("/teams/workflows", "teams-workflows"), ("/teams", "teams-webhook")] {
        let db = TestDatabase::migrated().await;
        detections_and_build(&db, 3, vec![Channel::Teams]).await;
        assert_eq!(sender(&db, teams(format!("{base}{path}")), 3).run_once(10).await.expect("pass").sent, 1, "{path}");
        assert_eq!(statuses(&db).await, vec![("teams".to_string(), "sent".to_string(), 1)], "{path}");
        let recorded = deliveries(&base).await;
        assert_eq!(recorded.last().map(|d| d["transport"].clone()), Some(transport.into()), "{path}");
    }
}

/// Failed before the fix: a legacy connector's 200 whose body reports HTTP error 413 was taken for success.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_too_large_message_fails_the_digest_on_both_kinds_of_endpoint() {
    let (_fake, base) = outside_fake(&["--teams-max-bytes", "1500"]).await;
    for path in ["/teams", "/teams/workflows"] {
        let db = TestDatabase::migrated().await;
        detections_and_build(&db, 3, vec![Channel::Teams]).await;
        assert_eq!(sender(&db, teams(format!("{base}{path}")), 3).run_once(10).await.expect("pass").failed, 1);
        assert_eq!(statuses(&db).await, vec![("teams".to_string(), "failed".to_string(), 1)], "{path}: not retried");
        let error: Option<String> =
            db.connect().await.query_one("SELECT last_error FROM digests", &[]).await.expect("row").get(0);
        assert!(error.unwrap_or_default().contains("413"), "{path}");
    }
    assert!(deliveries(&base).await.is_empty(), "nothing was delivered");
}
