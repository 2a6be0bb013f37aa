//! The smtp transport against a real SMTP listener on 127.0.0.1 (the protocol, line by line): the message arrives
//! as HTML with a plain-text alternative, with Message-ID, Date and Auto-Submitted; 4xx answers are retried, 5xx
//! fail at once.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::Utc;
use digest_sender::assemble::Channel;
use digest_sender::render::Renderer;
use digest_sender::send::Sender;
use digest_sender::transport::{Smtp, Transport};
use digest_sender::weekly::WeeklyDigestJob;
use pathfinder_core::jobs::Trigger;
use pathfinder_core::jobs::scheduler::run_once;
use pathfinder_core::schedule::{self, Job};
use pathfinder_core::testing::TestDatabase;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;

#[derive(Default)]
struct Inbox {
    messages: Mutex<Vec<(Vec<String>, String)>>,
    /// Answer MAIL FROM with 451 this many times first.
    busy: Mutex<usize>,
    /// Answer RCPT TO with 550.
    reject: bool,
}

async fn start_smtp(inbox: Arc<Inbox>) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let port = listener.local_addr().expect("addr").port();
    tokio::spawn(async move {
        while let Ok((socket, _)) = listener.accept().await {
            let inbox = inbox.clone();
            tokio::spawn(async move {
                let (read, mut write) = socket.into_split();
                let mut lines = BufReader::new(read).lines();
                let _ = write.write_all(b"220 fake.smtp.test ESMTP ready\r\n").await;
                let mut recipients = Vec::new();
                while let Ok(Some(line)) = lines.next_line().await {
                    let command = line.to_ascii_uppercase();
                    let answer: &[u8] = if command.starts_with("EHLO") || command.starts_with("HELO") {
                        b"250-fake.smtp.test\r\n250 8BITMIME\r\n"
                    } else if command.starts_with("MAIL FROM") {
                        let mut busy = inbox.busy.lock().expect("busy");
                        if *busy > 0 {
                            *busy -= 1;
                            b"451 4.3.0 Mailbox temporarily unavailable\r\n"
                        } else {
                            b"250 2.1.0 Ok\r\n"
                        }
                    } else if command.starts_with("RCPT TO") {
                        if inbox.reject {
                            b"550 5.1.1 No such user\r\n"
                        } else {
                            recipients.push(line[8..].trim().to_string());
                            b"250 2.1.5 Ok\r\n"
                        }
                    } else if command == "DATA" {
                        let _ = write.write_all(b"354 End data with <CR><LF>.<CR><LF>\r\n").await;
                        let mut data = String::new();
                        while let Ok(Some(part)) = lines.next_line().await {
                            if part == "." {
                                break;
                            }
                            data.push_str(&part);
                            data.push('\n');
                        }
                        inbox.messages.lock().expect("messages").push((std::mem::take(&mut recipients), data));
                        b"250 2.0.0 Ok: queued as FAKE42\r\n"
                    } else if command == "QUIT" {
                        let _ = write.write_all(b"221 2.0.0 Bye\r\n").await;
                        break;
                    } else {
                        b"250 2.0.0 Ok\r\n"
                    };
                    if write.write_all(answer).await.is_err() {
                        break;
                    }
                }
            });
        }
    });
    format!("smtp://127.0.0.1:{port}")
}

async fn setup() -> TestDatabase {
    let db = TestDatabase::migrated().await;
    db.connect()
        .await
        .execute(
            "INSERT INTO detections (event_id, user_id, username, title, seniority, kind, rule, rules_version)
             VALUES (1, 'u1', 'Zoë', 'Directrice Générale', 'c_suite', 'new', 'chief-executive', 'v1')",
            &[],
        )
        .await
        .expect("detection");
    let settings =
        pathfinder_core::Settings::load_from(vec![("DATABASE_URL".to_string(), db.url.clone())]).expect("settings");
    let pool = pathfinder_core::db::create_pool(&settings, "smtp-test").expect("pool");
    let week = schedule::period_containing(Job::WeeklyDigest, chrono_tz::America::New_York, Utc::now());
    run_once(&pool, &WeeklyDigestJob { channels: vec![Channel::Email] }, &week, Trigger::Manual).await.expect("build");
    db
}

fn sender(db: &TestDatabase, url: &str) -> Sender {
    let settings =
        pathfinder_core::Settings::load_from(vec![("DATABASE_URL".to_string(), db.url.clone())]).expect("settings");
    let smtp = Smtp::new(
        url,
        "CaptPathfinder <pathfinder@example.com>",
        "sales@example.com, exec@example.com",
        Duration::from_secs(5),
    )
    .expect("smtp");
    Sender {
        id: "smtp-test".into(),
        pool: pathfinder_core::db::create_pool(&settings, "smtp-test").expect("pool"),
        renderer: Renderer::load(&std::path::PathBuf::from(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../config/templates"
        )))
        .expect("templates"),
        transports: HashMap::from([("email", Transport::Smtp(smtp))]),
        tz: chrono_tz::America::New_York,
        lease_secs: 60,
        max_attempts: 3,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_digest_arrives_as_html_with_a_plain_text_part() {
    let inbox = Arc::new(Inbox { busy: Mutex::new(1), ..Inbox::default() });
    let url = start_smtp(inbox.clone()).await;
    let db = setup().await;
    let pass = sender(&db, &url).run_once(10).await.expect("pass");
    assert_eq!(pass.sent, 1, "a 451 first, then accepted");
    let messages = inbox.messages.lock().expect("messages").clone();
    assert_eq!(messages.len(), 1);
    let (recipients, data) = &messages[0];
    assert_eq!(recipients, &vec!["<sales@example.com>".to_string(), "<exec@example.com>".to_string()]);
    assert!(data.contains("From: CaptPathfinder <pathfinder@example.com>"), "{data}");
    assert!(data.contains("Subject: "), "{data}");
    assert!(data.contains("multipart/alternative"), "{data}");
    assert!(data.contains("text/plain") && data.contains("text/html"), "{data}");
    let remote: Option<String> =
        db.connect().await.query_one("SELECT remote_id FROM digests", &[]).await.expect("row").get(0);
    assert!(remote.unwrap_or_default().contains("queued as FAKE42"));
}

/// The value of header `name` in the message's top-level header block.
fn header<'a>(data: &'a str, name: &str) -> Option<&'a str> {
    data.split("\n\n").next().unwrap_or("").lines().find_map(|line| {
        let (key, value) = line.split_once(':')?;
        key.eq_ignore_ascii_case(name).then(|| value.trim())
    })
}

/// Failed before the fix: digests went out without Message-ID (Gmail: 550 5.7.1) and without Auto-Submitted.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_digest_carries_message_id_on_the_sender_domain_date_and_auto_submitted() {
    let inbox = Arc::new(Inbox::default());
    let url = start_smtp(inbox.clone()).await;
    let db = setup().await;
    assert_eq!(sender(&db, &url).run_once(10).await.expect("pass").sent, 1);
    let messages = inbox.messages.lock().expect("messages").clone();
    let (_, data) = &messages[0];
    let id = header(data, "Message-ID").unwrap_or_else(|| panic!("no Message-ID in\n{data}"));
    assert!(id.starts_with("<digest-") && id.ends_with("@example.com>"), "Message-ID {id}");
    assert_eq!(id.matches('@').count(), 1, "Message-ID {id}");
    let date = header(data, "Date").unwrap_or_else(|| panic!("no Date in\n{data}"));
    chrono::DateTime::parse_from_rfc2822(date).unwrap_or_else(|e| panic!("Date {date:?} is not RFC 5322: {e}"));
    assert_eq!(header(data, "Auto-Submitted"), Some("auto-generated"), "{data}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_5xx_answer_fails_the_digest_at_once() {
    let inbox = Arc::new(Inbox { reject: true, ..Inbox::default() });
    let url = start_smtp(inbox.clone()).await;
    let db = setup().await;
    assert_eq!(sender(&db, &url).run_once(10).await.expect("pass").failed, 1);
    let row = db.connect().await.query_one("SELECT status, attempts, last_error FROM digests", &[]).await.expect("row");
    assert_eq!((row.get::<_, String>(0), row.get::<_, i32>(1)), ("failed".to_string(), 1));
    assert!(row.get::<_, Option<String>>(2).unwrap_or_default().contains("550"));
    assert!(inbox.messages.lock().expect("messages").is_empty());
}

#[test]
fn bad_addresses_name_their_setting() {
    let error = Smtp::new("smtp://127.0.0.1:25", "not an address", "a@example.com", Duration::from_secs(1))
        .err()
        .expect("fails");
    assert!(error.to_string().contains("DIGEST_EMAIL_FROM"));
    let error = Smtp::new("smtp://127.0.0.1:25", "a@example.com", "", Duration::from_secs(1)).err().expect("fails");
    assert!(error.to_string().contains("DIGEST_EMAIL_TO"));
    let error = Smtp::new("ftp://x", "a@example.com", "b@example.com", Duration::from_secs(1)).err().expect("fails");
    assert!(error.to_string().contains("SMTP_URL"));
}
