//! `pathfinder forget` and `pathfinder audit`: an erasure leaves no trace of the member in any text column of any
//! table, rebuilds the reports that named them, and is recorded under a salted hash; the audit chain verifies, and
//! stops verifying once a row is edited or deleted behind the application's back.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use pathfinder_core::testing::TestDatabase;

const MEMBER: &str = "erase-me-7731";
const NAME: &str = "Zelda Quuxington";
const EMAIL: &str = "zelda.quuxington@example.org";
const TEMPLATES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../config/templates");

fn pathfinder(db: &TestDatabase, reports: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_pathfinder"))
        .args(args)
        .env("DATABASE_URL", &db.url)
        .env("REPORTS_DIR", reports)
        .env("PATHFINDER_DELIVERY__TEMPLATES_DIR", TEMPLATES)
        .env("USER", "privacy-test")
        .env_remove("PATHFINDER_CONFIG")
        .output()
        .expect("run pathfinder")
}

fn assert_ok(output: &Output) -> String {
    assert!(
        output.status.success(),
        "pathfinder failed:\n{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// The member (a VP promoted to CEO, enriched with an email and company) and a colleague who stays, with their raw
/// events, dedupe keys, state, detections, a sent digest, two digests not yet sent and November's report.
async fn seed(client: &tokio_postgres::Client) {
    client
        .batch_execute(&format!(
            "INSERT INTO events_raw (id, source, dedupe_key, user_id, username, profile_field, value, old_value,
                                     status, received_at)
             VALUES (1, 'community', 'k1', '{MEMBER}', '{NAME}', 'Job Title', 'VP of Sales', NULL, 'processed',
                     '2026-11-10T15:00:00Z'),
                    (2, 'community', 'k2', '{MEMBER}', '{NAME}', 'Job Title', 'Chief Executive Officer',
                     'VP of Sales', 'processed', '2026-11-12T15:00:00Z'),
                    (3, 'community', 'k3', 'colleague-1', 'Ada Keeper', 'Job Title', 'Chief Technology Officer',
                     NULL, 'processed', '2026-11-12T16:00:00Z'),
                    (4, 'community', 'k4', '{MEMBER}', '{NAME}', 'Job Title', 'Chief Executive Officer', NULL,
                     'pending', '2026-11-13T16:00:00Z');
             INSERT INTO webhook_deliveries (dedupe_key, event_id, source, user_id, by_body_hash, received_at)
             SELECT dedupe_key, id, source, user_id, false, received_at FROM events_raw;
             INSERT INTO user_state (user_id, username, title, seniority, rule, rules_version, last_event_id,
                                     senior_since, email, company)
             VALUES ('{MEMBER}', '{NAME}', 'Chief Executive Officer', 'c_suite', 'chief-x-officer', 'v1', 2,
                     '2026-11-10T15:00:00Z', '{EMAIL}', 'Quuxington Holdings'),
                    ('colleague-1', 'Ada Keeper', 'Chief Technology Officer', 'c_suite', 'chief-x-officer', 'v1', 3,
                     '2026-11-12T16:00:00Z', NULL, NULL);
             INSERT INTO detections (id, event_id, user_id, username, title, seniority, previous_seniority, kind,
                                     rule, rules_version, email, company, detected_at)
             VALUES (1, 1, '{MEMBER}', '{NAME}', 'VP of Sales', 'vp', NULL, 'new', 'vp-of', 'v1', '{EMAIL}',
                     'Quuxington Holdings', '2026-11-10T15:00:01Z'),
                    (2, 2, '{MEMBER}', '{NAME}', 'Chief Executive Officer', 'c_suite', 'vp', 'promotion',
                     'chief-x-officer', 'v1', '{EMAIL}', 'Quuxington Holdings', '2026-11-12T15:00:01Z'),
                    (3, 3, 'colleague-1', 'Ada Keeper', 'Chief Technology Officer', 'c_suite', NULL, 'new',
                     'chief-x-officer', 'v1', NULL, NULL, '2026-11-12T16:00:01Z');
             INSERT INTO digests (id, channel, status, run_key, detection_count, sent_at) VALUES
               (1, 'email', 'sent', '2026-W46', 1, '2026-11-13T22:00:00Z'),
               (2, 'email', 'pending', '2026-W47', 2, NULL),
               (3, 'teams', 'failed', '2026-W47', 1, NULL);
             INSERT INTO digest_items (digest_id, detection_id, channel, position) VALUES
               (1, 1, 'email', 1), (2, 2, 'email', 1), (2, 3, 'email', 2), (3, 2, 'teams', 1);
             INSERT INTO digest_deliveries (digest_id, attempt, transport, status, remote_id, duration_ms)
             VALUES (1, 1, 'aa', 'sent', 'deployment-1', 12);"
        ))
        .await
        .expect("seed");
}

/// Every text-like column of every table (information_schema), searched for each needle.
async fn traces(client: &tokio_postgres::Client, needles: &[&str]) -> Vec<String> {
    let columns = client
        .query(
            "SELECT table_name::text, column_name::text FROM information_schema.columns
             WHERE table_schema = 'public' AND data_type IN ('text', 'character varying', 'character', 'jsonb', 'json')
             ORDER BY 1, 2",
            &[],
        )
        .await
        .expect("columns");
    assert!(columns.len() > 40, "the scan sees every table's text columns ({} found)", columns.len());
    let mut found = Vec::new();
    for column in &columns {
        let (table, name): (String, String) = (column.get(0), column.get(1));
        for needle in needles {
            let sql = format!("SELECT count(*) FROM \"{table}\" WHERE \"{name}\"::text ILIKE '%' || $1 || '%'");
            let count: i64 = client.query_one(&sql, &[needle]).await.expect("scan").get(0);
            if count > 0 {
                found.push(format!("{table}.{name} holds {needle:?} ({count} rows)"));
            }
        }
    }
    found
}

fn reports_dir(db: &TestDatabase) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("pf-privacy-{}", db.name));
    std::fs::create_dir_all(&dir).expect("reports dir");
    dir
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forget_leaves_no_trace_and_rebuilds_the_report_without_the_member() {
    let db = TestDatabase::migrated().await;
    let client = db.connect().await;
    let reports = reports_dir(&db);
    seed(&client).await;
    assert_ok(&pathfinder(&db, &reports, &["jobs", "run", "month-end-report", "--at", "2026-11-30T12:00:00Z"]));
    let csv = reports.join("2026-11/senior-executives-2026-11.csv");
    assert!(std::fs::read_to_string(&csv).expect("csv").contains(NAME), "the report names the member before");
    let needles = [MEMBER, NAME, EMAIL, "Quuxington"];
    assert!(!traces(&client, &needles).await.is_empty(), "the scan finds the member before the erasure");

    let output = assert_ok(&pathfinder(&db, &reports, &["forget", MEMBER, "--json"]));
    let counts: serde_json::Value = serde_json::from_str(output.trim()).expect("json counts");
    assert_eq!(counts["events"], 3);
    assert_eq!(counts["dedupeKeys"], 3);
    assert_eq!(counts["seniorStates"], 1);
    assert_eq!(counts["detections"], 2);
    assert_eq!(counts["unsentDigestEntries"], 2, "one in the pending digest, one in the failed one");
    assert_eq!(counts["emptiedDigestsDeleted"], 1, "the failed Teams digest held only the member");
    assert_eq!(counts["sentDigestEntries"], 1);
    assert_eq!(counts["reportsToRebuild"], 1);
    assert_eq!(counts["optedOut"], false);
    assert!(!output.contains(MEMBER) && !output.contains(NAME), "the output holds counts only: {output}");

    // report-builder rebuilds the report the erasure sent back.
    let settings = pathfinder_core::Settings::load_from(vec![
        ("DATABASE_URL".to_string(), db.url.clone()),
        ("REPORTS_DIR".to_string(), reports.display().to_string()),
        ("PATHFINDER_DELIVERY__TEMPLATES_DIR".to_string(), TEMPLATES.to_string()),
    ])
    .expect("settings");
    let pool = pathfinder_core::db::create_pool(&settings, "privacy-test").expect("pool");
    let generator = report_builder::startup::generator(&settings).expect("generator");
    assert!(report_builder::queue::run_once(&pool, &generator).await.expect("rebuild"), "a report was rebuilt");
    let rebuilt = std::fs::read_to_string(&csv).expect("csv");
    assert!(!rebuilt.contains(NAME) && !rebuilt.contains(MEMBER), "the rebuilt report lacks the member");
    assert!(rebuilt.contains("Ada Keeper"), "and still holds the colleague");
    let html = std::fs::read_to_string(reports.join("2026-11/senior-executives-2026-11.html")).expect("html");
    assert!(!html.contains("Quuxington") && html.contains("Ada Keeper"));
    let report: (String, i32) = {
        let row = client.query_one("SELECT status, detection_count FROM reports", &[]).await.expect("report");
        (row.get(0), row.get(1))
    };
    assert_eq!(report, ("ready".to_string(), 1));

    let left = traces(&client, &needles).await;
    assert!(left.is_empty(), "traces of the member remain:\n{}", left.join("\n"));

    // Only the member went: the colleague, the sent digest and its delivery record stay; the pending digest shrank.
    let digests = client.query("SELECT id, status, detection_count FROM digests ORDER BY id", &[]).await.expect("d");
    let digests: Vec<(i64, String, i32)> = digests.iter().map(|r| (r.get(0), r.get(1), r.get(2))).collect();
    assert_eq!(digests, vec![(1, "sent".into(), 1), (2, "pending".into(), 1)]);
    let colleague: i64 = client
        .query_one("SELECT count(*) FROM detections WHERE user_id = 'colleague-1'", &[])
        .await
        .expect("colleague")
        .get(0);
    assert_eq!(colleague, 1);

    // The erasure is in the audit log under the salted hash, never the id; the chain verifies.
    let audit = client
        .query_one("SELECT subject, actor, pf_member_hash($1) FROM audit_log WHERE kind = 'member.erased'", &[&MEMBER])
        .await
        .expect("audit row");
    let (subject, actor, hash): (String, String, String) = (audit.get(0), audit.get(1), audit.get(2));
    assert_eq!(subject, hash);
    assert_eq!(subject.len(), 64);
    assert_eq!(actor, "cli:privacy-test");
    let verify = assert_ok(&pathfinder(&db, &reports, &["audit", "verify"]));
    assert!(verify.starts_with("audit chain intact"), "{verify}");
    let _ = std::fs::remove_dir_all(&reports);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_audit_chain_detects_an_edited_or_deleted_row() {
    let db = TestDatabase::migrated().await;
    let client = db.connect().await;
    let reports = reports_dir(&db);
    for n in 1..=5 {
        let details = serde_json::json!({"n": n, "note": "ünïcödé \"quoted\""});
        pathfinder_core::privacy::audit::append(&client, "admin.test", "tester", Some("s"), &details)
            .await
            .expect("append");
    }
    let listed = assert_ok(&pathfinder(&db, &reports, &["audit", "--kind", "admin", "--json"]));
    assert_eq!(listed.lines().count(), 5, "{listed}");
    let intact = pathfinder(&db, &reports, &["audit", "verify", "--json"]);
    let check: serde_json::Value = serde_json::from_slice(&intact.stdout).expect("json");
    assert_eq!((check["intact"].clone(), check["entries"].clone()), (true.into(), 5.into()));

    let refused = client.execute("UPDATE audit_log SET actor = 'someone else' WHERE seq = 3", &[]).await;
    assert!(refused.is_err(), "an ordinary UPDATE is refused by the append-only trigger");

    // Someone with the rights to bypass the trigger edits entry 3: the chain no longer verifies.
    client
        .batch_execute(
            "ALTER TABLE audit_log DISABLE TRIGGER audit_log_no_update_or_delete;
             UPDATE audit_log SET details = '{\"n\": 33}' WHERE seq = 3;
             ALTER TABLE audit_log ENABLE TRIGGER audit_log_no_update_or_delete;",
        )
        .await
        .expect("tamper");
    let broken = pathfinder(&db, &reports, &["audit", "verify"]);
    assert!(!broken.status.success(), "verify must fail");
    let said = String::from_utf8_lossy(&broken.stdout);
    assert!(said.contains("BROKEN at entry 3 (hash"), "{said}");

    // Put entry 3 back as it was is impossible without the old text; delete entry 4 instead on a fresh chain.
    let fresh = TestDatabase::migrated().await;
    let fresh_client = fresh.connect().await;
    for n in 1..=5 {
        pathfinder_core::privacy::audit::append(
            &fresh_client,
            "admin.test",
            "tester",
            None,
            &serde_json::json!({"n": n}),
        )
        .await
        .expect("append");
    }
    fresh_client
        .batch_execute(
            "ALTER TABLE audit_log DISABLE TRIGGER audit_log_no_update_or_delete;
             DELETE FROM audit_log WHERE seq = 4;
             ALTER TABLE audit_log ENABLE TRIGGER audit_log_no_update_or_delete;",
        )
        .await
        .expect("delete");
    let check = pathfinder_core::privacy::audit::verify(&fresh_client).await.expect("verify");
    assert!(!check.intact);
    assert_eq!((check.first_broken_seq, check.problem.as_deref()), (Some(5), Some("sequence")));
    let _ = std::fs::remove_dir_all(&reports);
}
