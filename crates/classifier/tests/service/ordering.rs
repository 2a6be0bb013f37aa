//! Per-member order with two classifier processes: many members, interleaved events, small batches, so the two
//! processes keep claiming events of the same members; every member must end exactly as the sequential answer.

use std::collections::BTreeMap;
use std::time::Duration;

use pathfinder_core::testing::TestDatabase;

use crate::helpers::{insert_events, rules_path, spawn_process, wait_until_drained};

const SEQUENCE: &[Option<&str>] = &[
    Some("Engineer"),
    Some("VP Sales"),
    Some("Chief Revenue Officer"),
    Some("Account Executive"),
    Some("SVP Operations"),
    Some("SVP Operations"),
    None,
    Some("Founder & CEO"),
    Some("VP Product"),
    Some("Chief Product Officer"),
];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_processes_apply_each_members_events_in_order() {
    let db = TestDatabase::migrated().await;
    let client = db.connect().await;
    let members: Vec<String> = (0..40).map(|n| format!("m{n:02}")).collect();
    // Round-robin: event k of every member, then event k+1 ..., so each batch spans many members.
    let mut events: Vec<(&str, Option<&str>)> = Vec::new();
    for title in SEQUENCE {
        for member in &members {
            events.push((member.as_str(), *title));
        }
    }
    let extra = [("PATHFINDER_CLASSIFIER__BATCH_SIZE", "7"), ("PATHFINDER_CLASSIFIER__WORKERS", "2")];
    let _a = spawn_process(&db.url, &rules_path(), &extra);
    let _b = spawn_process(&db.url, &rules_path(), &extra);
    insert_events(&client, &events).await;
    wait_until_drained(&client, Duration::from_secs(60)).await;

    // The sequential answer: new vp, promotion, (removed), new vp, (same), (removed), new c_suite, (demoted), promotion.
    let expected = vec![
        ("new", "vp", None),
        ("promotion", "c_suite", Some("vp")),
        ("new", "vp", None),
        ("new", "c_suite", None),
        ("promotion", "c_suite", Some("vp")),
    ];
    let rows = client
        .query("SELECT user_id, kind, seniority, previous_seniority FROM detections ORDER BY user_id, event_id", &[])
        .await
        .expect("detections");
    let mut by_member: BTreeMap<String, Vec<(String, String, Option<String>)>> = BTreeMap::new();
    for row in rows {
        by_member.entry(row.get(0)).or_default().push((row.get(1), row.get(2), row.get(3)));
    }
    let expected: Vec<(String, String, Option<String>)> =
        expected.into_iter().map(|(k, l, p)| (k.to_string(), l.to_string(), p.map(str::to_string))).collect();
    assert_eq!(by_member.len(), members.len());
    for (member, got) in &by_member {
        assert_eq!(got, &expected, "member {member}");
    }
    let states = client.query("SELECT seniority, title FROM user_state ORDER BY user_id", &[]).await.expect("states");
    assert_eq!(states.len(), members.len());
    for row in states {
        assert_eq!(
            (row.get::<_, String>(0), row.get::<_, String>(1)),
            ("c_suite".into(), "Chief Product Officer".into())
        );
    }
    let leases: i64 = client
        .query_one("SELECT count(*) FROM events_raw WHERE locked_by IS NOT NULL", &[])
        .await
        .expect("count")
        .get(0);
    assert_eq!(leases, 0, "every lease was released on commit");
    let processes: i64 = client
        .query_one("SELECT count(DISTINCT split_part(processed_by, '-', 2)) FROM events_raw", &[])
        .await
        .expect("count")
        .get(0);
    assert_eq!(processes, 2, "both processes applied events");
}
