//! Channels: one turned on later starts at that moment (no history flood) unless backfilled; a digest whose channel
//! has no transport fails at once with an error that says so.

mod support;

use std::collections::HashMap;

use digest_sender::assemble::{self, Channel};
use digest_sender::transport::{Sandbox, Transport};
use pathfinder_core::testing::TestDatabase;
use support::{build, sender, statuses, temp_dir};

async fn insert_detections(db: &TestDatabase, users: &[&str], age: &str) {
    db.connect()
        .await
        .execute(
            "INSERT INTO detections (event_id, user_id, title, seniority, kind, rule, rules_version, detected_at)
             SELECT abs(hashtext(u)), u, 'CEO', 'c_suite', 'new', 'chief-executive', 'v1', now() - $2::text::interval
             FROM unnest($1::text[]) u",
            &[&users, &age],
        )
        .await
        .expect("detections");
}

/// Per channel: how many detections its digests carry.
async fn carried(db: &TestDatabase) -> Vec<(String, i64)> {
    let rows = db
        .connect()
        .await
        .query("SELECT channel, count(*) FROM digest_items GROUP BY channel ORDER BY channel", &[])
        .await
        .expect("items");
    rows.iter().map(|r| (r.get(0), r.get(1))).collect()
}

/// Failed before the fix: enabling Teams a year in put every stored detection into Teams digests.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_channel_enabled_later_starts_then_and_backfill_sends_the_past_on_request() {
    let db = TestDatabase::migrated().await;
    // A year of email-only use: the install's channel carries everything since the install.
    insert_detections(&db, &["old-1", "old-2", "old-3"], "300 days").await;
    build(&db, vec![Channel::Email]).await;
    assert_eq!(carried(&db).await, vec![("email".to_string(), 3)]);

    // Teams is turned on: digest-sender records its start; only what is detected from then on goes to Teams.
    assemble::record_starts(&db.connect().await, &[Channel::Email, Channel::Teams]).await.expect("record");
    insert_detections(&db, &["new-1", "new-2"], "0 seconds").await;
    build(&db, vec![Channel::Email, Channel::Teams]).await;
    assert_eq!(carried(&db).await, vec![("email".to_string(), 5), ("teams".to_string(), 2)]);

    // The operator asks for the past too (pathfinder digests backfill teams --since ...).
    let since = chrono::Utc::now() - chrono::Duration::days(301);
    let client = db.connect().await;
    assemble::backfill(&client, Channel::Teams, Some(since)).await.expect("backfill");
    build(&db, vec![Channel::Email, Channel::Teams]).await;
    assert_eq!(carried(&db).await, vec![("email".to_string(), 5), ("teams".to_string(), 5)]);
    // A later start never moves it forward again.
    assemble::record_starts(&client, &[Channel::Teams]).await.expect("record again");
    let start: String = client
        .query_one("SELECT started_at::text FROM digest_channel_starts WHERE channel = 'teams'", &[])
        .await
        .expect("start")
        .get(0);
    assert!(start.starts_with(&since.format("%Y-%m-%d").to_string()), "{start}");
}

/// Failed before the fix: the digest stayed `sending`, claimed again after every lease with attempts climbing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_digest_whose_channel_has_no_transport_fails_at_once_with_a_clear_error() {
    let db = TestDatabase::migrated().await;
    insert_detections(&db, &["m1"], "1 hour").await;
    build(&db, vec![Channel::Email, Channel::Teams]).await;
    let outbox = temp_dir();
    let only_email = HashMap::from([("email", Transport::Sandbox(Sandbox { outbox: outbox.clone() }))]);
    let pass = sender(&db, only_email, 5).run_once(10).await.expect("pass");
    assert_eq!((pass.sent, pass.failed), (1, 1));
    assert_eq!(
        statuses(&db).await,
        vec![("email".to_string(), "sent".to_string(), 1), ("teams".to_string(), "failed".to_string(), 1)]
    );
    let error: String = db
        .connect()
        .await
        .query_one("SELECT last_error FROM digests WHERE channel = 'teams'", &[])
        .await
        .expect("row")
        .get(0);
    assert!(error.starts_with("no transport for the teams channel"), "{error}");
    let _ = std::fs::remove_dir_all(outbox);
}
