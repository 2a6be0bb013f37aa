//! `pathfinder report roster` against a real database: the current seniors of two sources (the same user id on
//! each) land in `roster-YYYY-MM-DD.csv` and `.html`, the CSV defuses a formula-like title, the HTML escapes markup,
//! and the audit entry holds counts, never names.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use pathfinder_core::testing::TestDatabase;

const TEMPLATES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../config/templates");

fn pathfinder(db: &TestDatabase, reports_dir: &Path, args: &[&str]) -> Output {
    let output = Command::new(env!("CARGO_BIN_EXE_pathfinder"))
        .args(args)
        .env("DATABASE_URL", &db.url)
        .env("REPORTS_DIR", reports_dir)
        .env("TIMEZONE", "UTC")
        .env("PATHFINDER_DELIVERY__TEMPLATES_DIR", TEMPLATES)
        .env("USER", "report-test")
        .env_remove("PATHFINDER_CONFIG")
        .output()
        .expect("run pathfinder");
    assert!(
        output.status.success(),
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    output
}

fn scratch(db: &TestDatabase, name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("pf-roster-{}-{name}", db.name));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

const SEED: &str = "
INSERT INTO user_state (source, user_id, username, title, seniority, rule, rules_version, last_event_id, senior_since)
VALUES
  ('community', '42', 'Grace Hopperton', 'Chief Executive Officer', 'c_suite', 'ceo', 'v1', 1, '2026-10-01T08:00:00Z'),
  ('discourse', '42', NULL, 'VP of Sales, EMEA', 'vp', 'vp_of', 'v1', 2, '2026-11-02T09:30:00Z'),
  ('discourse', '7', '<b>Mallory</b>', '=HYPERLINK(\"http://evil\",\"CEO\")', 'c_suite', 'ceo', 'v1', 3,
   '2026-09-15T12:00:00Z')";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn roster_report_writes_csv_and_html_of_both_sources() {
    let db = TestDatabase::migrated().await;
    let client = db.connect().await;
    client.batch_execute(SEED).await.expect("seed user_state");

    // Default folder: REPORTS_DIR.
    let reports = scratch(&db, "reports");
    let text = pathfinder(&db, &reports, &["report", "roster"]);
    let stdout = String::from_utf8_lossy(&text.stdout);
    assert!(stdout.contains("3 senior executives (2 C-suite, 1 VP; 1 community, 2 discourse)"), "{stdout}");

    // --out wins over REPORTS_DIR; --json gives the counts and the files.
    let out = scratch(&db, "out");
    let json = pathfinder(&db, &reports, &["report", "roster", "--out", out.to_str().expect("utf-8"), "--json"]);
    let summary: serde_json::Value = serde_json::from_slice(&json.stdout).expect("json summary");
    assert_eq!(
        (summary["seniors"].clone(), summary["cSuite"].clone(), summary["vp"].clone()),
        (3.into(), 2.into(), 1.into()),
        "{summary}"
    );
    assert_eq!(summary["bySource"], serde_json::json!({"community": 1, "discourse": 2}));
    let date = summary["date"].as_str().expect("date").to_string();

    for dir in [&reports, &out] {
        let csv = std::fs::read_to_string(dir.join(format!("roster-{date}.csv"))).expect("csv written");
        let lines: Vec<&str> = csv.split("\r\n").collect();
        assert_eq!(
            lines,
            [
                "source,user_id,username,title,seniority,since,rule",
                "discourse,7,<b>Mallory</b>,\"'=HYPERLINK(\"\"http://evil\"\",\"\"CEO\"\")\",c_suite,2026-09-15 12:00:00 UTC,ceo",
                "community,42,Grace Hopperton,Chief Executive Officer,c_suite,2026-10-01 08:00:00 UTC,ceo",
                "discourse,42,,\"VP of Sales, EMEA\",vp,2026-11-02 09:30:00 UTC,vp_of",
                "",
            ],
            "RFC 4180 with CRLF, C-suite first, a formula-like title defused"
        );
        let html = std::fs::read_to_string(dir.join(format!("roster-{date}.html"))).expect("html written");
        for expected in [
            "Senior executives on ",
            "Grace Hopperton",
            "Chief Executive Officer",
            "VP of Sales, EMEA",
            "(discourse 42)",
            "(community 42)",
            "&lt;b&gt;Mallory&lt;",
        ] {
            assert!(html.contains(expected), "{expected} missing from the HTML");
        }
        assert!(!html.contains("<b>Mallory"), "markup in a username is escaped");
        let leftovers: Vec<_> = std::fs::read_dir(dir)
            .expect("dir")
            .map(|e| e.expect("entry").file_name().to_string_lossy().to_string())
            .filter(|n| n.ends_with(".tmp"))
            .collect();
        assert!(leftovers.is_empty(), "no temporary file left: {leftovers:?}");
    }

    let audits: Vec<serde_json::Value> = client
        .query("SELECT details FROM audit_log WHERE kind = 'roster.report' AND actor = 'cli:report-test'", &[])
        .await
        .expect("audit")
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert_eq!(audits.len(), 2, "each run is audited");
    for audit in &audits {
        assert_eq!(audit["seniors"], 3);
        let text = audit.to_string();
        assert!(!text.contains("Grace") && !text.contains("Mallory") && !text.contains("42"), "counts only: {text}");
    }
    let _ = std::fs::remove_dir_all(&reports);
    let _ = std::fs::remove_dir_all(&out);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn roster_report_of_no_seniors_is_empty_but_written() {
    let db = TestDatabase::migrated().await;
    let out = scratch(&db, "empty");
    let json = pathfinder(&db, &out, &["report", "roster", "--json"]);
    let summary: serde_json::Value = serde_json::from_slice(&json.stdout).expect("json summary");
    assert_eq!(summary["seniors"], 0);
    let date = summary["date"].as_str().expect("date");
    let csv = std::fs::read_to_string(out.join(format!("roster-{date}.csv"))).expect("csv");
    assert_eq!(csv, "source,user_id,username,title,seniority,since,rule\r\n");
    let html = std::fs::read_to_string(out.join(format!("roster-{date}.html"))).expect("html");
    assert!(html.contains("No member is a senior executive yet"));
    let _ = std::fs::remove_dir_all(&out);
}
