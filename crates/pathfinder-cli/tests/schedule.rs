//! `pathfinder schedule` as an operator runs it: JSON lines in the contract's shape, real offsets across DST.

use std::process::Command;

fn schedule(args: &[&str], timezone: Option<&str>) -> std::process::Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_pathfinder"));
    command.arg("schedule").args(args).env_remove("DATABASE_URL").env_remove("PATHFINDER_CONFIG");
    match timezone {
        Some(tz) => command.env("TIMEZONE", tz),
        None => command.env_remove("TIMEZONE"),
    };
    command.output().expect("run pathfinder")
}

#[test]
fn json_lines_carry_job_local_and_utc_with_the_real_offset() {
    let output = schedule(&["--after", "2027-03-10T00:00:00Z", "--count", "2", "--json"], None);
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let lines: Vec<String> = String::from_utf8(output.stdout).expect("utf-8").lines().map(str::to_owned).collect();
    assert_eq!(lines.len(), 6, "two per job");
    assert_eq!(lines[0], r#"{"job":"weekly-digest","local":"2027-03-12T17:00:00-05:00","utc":"2027-03-12T22:00:00Z"}"#);
    assert_eq!(lines[1], r#"{"job":"weekly-digest","local":"2027-03-19T17:00:00-04:00","utc":"2027-03-19T21:00:00Z"}"#);
    assert!(lines[2].starts_with(r#"{"job":"month-end-report","local":"2027-03-31T23:55:00-04:00""#), "{}", lines[2]);
    assert!(lines[4].starts_with(r#"{"job":"purge-events","local":"2027-03-10T02:00:00-05:00""#), "{}", lines[4]);
}

#[test]
fn the_configured_zone_is_used_and_a_bad_one_is_refused() {
    let output = schedule(&["--after", "2027-01-01T00:00:00Z", "--count", "1", "--json"], Some("Europe/Paris"));
    let text = String::from_utf8(output.stdout).expect("utf-8");
    assert!(text.contains(r#""local":"2027-01-01T17:00:00+01:00","utc":"2027-01-01T16:00:00Z""#), "{text}");
    let bad = schedule(&[], Some("Mars/Olympus"));
    assert_eq!(bad.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad.stderr).starts_with("configuration error: TIMEZONE"));
    let bad_after = schedule(&["--after", "next friday"], None);
    assert!(!bad_after.status.success());
    assert!(String::from_utf8_lossy(&bad_after.stderr).contains("RFC 3339"));
}

#[test]
fn discourse_reconcile_is_listed_where_enabled_at_its_configured_hour() {
    let output = Command::new(env!("CARGO_BIN_EXE_pathfinder"))
        .args(["schedule", "--after", "2027-03-10T00:00:00Z", "--count", "1", "--json"])
        .env_remove("DATABASE_URL")
        .env_remove("PATHFINDER_CONFIG")
        .env_remove("TIMEZONE")
        .env("PATHFINDER_DISCOURSE__RECONCILE_ENABLED", "true")
        .env("PATHFINDER_DISCOURSE__BASE_URL", "https://forum.example.com")
        .env("PATHFINDER_DISCOURSE__API_KEY", "k")
        .env("PATHFINDER_DISCOURSE__RECONCILE_HOUR", "5")
        .output()
        .expect("run pathfinder");
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let text = String::from_utf8(output.stdout).expect("utf-8");
    assert_eq!(text.lines().count(), 4, "{text}");
    assert!(
        text.contains(
            r#"{"job":"discourse-reconcile","local":"2027-03-10T05:00:00-05:00","utc":"2027-03-10T10:00:00Z"}"#
        ),
        "{text}"
    );
    let bad = schedule(&[], None);
    assert!(!String::from_utf8_lossy(&bad.stdout).contains("discourse-reconcile"), "not listed while off");
}
