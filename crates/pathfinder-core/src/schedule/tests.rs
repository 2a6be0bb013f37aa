//! Exact UTC instants across DST changes (March and November of 2027 and 2028, America/New_York) and month ends of
//! every length. Expected values were computed independently with Python's zoneinfo.

use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::America::New_York;
use chrono_tz::Tz;

use super::*;

fn utc(text: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(text).expect("RFC 3339").with_timezone(&Utc)
}

fn fires(job: Job, tz: Tz, after: &str, count: usize) -> Vec<String> {
    upcoming(job, tz, utc(after), count)
        .iter()
        .map(|o| o.utc.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
        .collect()
}

#[test]
fn weekly_digest_follows_new_york_across_march_and_november() {
    assert_eq!(
        fires(Job::WeeklyDigest, New_York, "2027-03-01T00:00:00Z", 3),
        ["2027-03-05T22:00:00Z", "2027-03-12T22:00:00Z", "2027-03-19T21:00:00Z"],
        "EST until 14 March 2027, then EDT"
    );
    assert_eq!(
        fires(Job::WeeklyDigest, New_York, "2027-11-01T00:00:00Z", 2),
        ["2027-11-05T21:00:00Z", "2027-11-12T22:00:00Z"]
    );
    assert_eq!(
        fires(Job::WeeklyDigest, New_York, "2028-03-06T00:00:00Z", 2),
        ["2028-03-10T22:00:00Z", "2028-03-17T21:00:00Z"]
    );
    assert_eq!(
        fires(Job::WeeklyDigest, New_York, "2028-10-30T00:00:00Z", 2),
        ["2028-11-03T21:00:00Z", "2028-11-10T22:00:00Z"]
    );
}

#[test]
fn local_and_period_are_reported_with_the_real_offset() {
    let first = &upcoming(Job::WeeklyDigest, New_York, utc("2027-03-10T00:00:00Z"), 1)[0];
    assert_eq!(first.to_json()["local"], "2027-03-12T17:00:00-05:00");
    assert_eq!(first.to_json()["utc"], "2027-03-12T22:00:00Z");
    assert_eq!(first.period_key, "2027-W10");
    let next = &upcoming(Job::WeeklyDigest, New_York, first.utc, 1)[0];
    assert_eq!(next.to_json()["local"], "2027-03-19T17:00:00-04:00");
}

#[test]
fn a_purge_time_inside_the_spring_gap_fires_at_the_end_of_the_gap() {
    // 14 March 2027: 02:00 does not exist in New York (02:00 EST -> 03:00 EDT).
    assert_eq!(
        fires(Job::PurgeEvents, New_York, "2027-03-13T00:00:00Z", 3),
        ["2027-03-13T07:00:00Z", "2027-03-14T07:00:00Z", "2027-03-15T06:00:00Z"]
    );
    let gap_day = &upcoming(Job::PurgeEvents, New_York, utc("2027-03-14T00:00:00Z"), 1)[0];
    assert_eq!(gap_day.to_json()["local"], "2027-03-14T03:00:00-04:00");
    assert_eq!(gap_day.period_key, "2027-03-14");
}

#[test]
fn a_repeated_local_time_fires_once_at_its_first_occurrence() {
    // 7 November 2027: 01:00-01:59 happens twice in New York.
    let once = resolve_local(
        New_York,
        NaiveDate::from_ymd_opt(2027, 11, 7).and_then(|d| d.and_hms_opt(1, 30, 0)).expect("date"),
    );
    assert_eq!(once.with_timezone(&Utc), utc("2027-11-07T05:30:00Z"));
    let purges = fires(Job::PurgeEvents, New_York, "2027-11-06T00:00:00Z", 3);
    assert_eq!(purges, ["2027-11-06T06:00:00Z", "2027-11-07T07:00:00Z", "2027-11-08T07:00:00Z"], "one firing per day");
}

#[test]
fn month_end_report_fires_on_the_last_day_of_every_month_length() {
    assert_eq!(
        fires(Job::MonthEndReport, New_York, "2026-11-24T00:00:00Z", 6),
        [
            "2026-12-01T04:55:00Z", // 30 November (30 days), EST
            "2027-01-01T04:55:00Z", // 31 December
            "2027-02-01T04:55:00Z", // 31 January
            "2027-03-01T04:55:00Z", // 28 February 2027
            "2027-04-01T03:55:00Z", // 31 March, EDT
            "2027-05-01T03:55:00Z", // 30 April
        ]
    );
    assert_eq!(
        fires(Job::MonthEndReport, New_York, "2028-02-02T00:00:00Z", 1),
        ["2028-03-01T04:55:00Z"],
        "29 Feb 2028"
    );
    let november = &upcoming(Job::MonthEndReport, New_York, utc("2026-11-24T00:00:00Z"), 1)[0];
    assert_eq!(
        (november.period_key.as_str(), november.to_json()["local"].as_str()),
        ("2026-11", Some("2026-11-30T23:55:00-05:00"))
    );
}

#[test]
fn other_zones_use_their_own_rules() {
    // Europe/Paris: 28 March 2027 02:00 does not exist (02:00 CET -> 03:00 CEST).
    let paris: Tz = "Europe/Paris".parse().expect("zone");
    assert_eq!(
        fires(Job::PurgeEvents, paris, "2027-03-27T12:00:00Z", 2),
        ["2027-03-28T01:00:00Z", "2027-03-29T00:00:00Z"]
    );
    // Australia/Lord_Howe moves by 30 minutes: 3 October 2027 02:00 -> 02:30.
    let lord_howe: Tz = "Australia/Lord_Howe".parse().expect("zone");
    let gap = &upcoming(Job::PurgeEvents, lord_howe, utc("2027-10-02T12:00:00Z"), 1)[0];
    assert_eq!(gap.to_json()["local"], "2027-10-03T02:30:00+11:00");
}

#[test]
fn the_period_containing_an_instant_and_the_latest_due_occurrence() {
    let week = period_containing(Job::WeeklyDigest, New_York, utc("2027-03-16T12:00:00Z"));
    assert_eq!((week.period_key.as_str(), week.utc), ("2027-W11", utc("2027-03-19T21:00:00Z")));
    // 05:30Z on 1 December is 00:30 EST on the 1st: December.
    let month = period_containing(Job::MonthEndReport, New_York, utc("2026-12-01T05:30:00Z"));
    assert_eq!(month.period_key, "2026-12");
    let month = period_containing(Job::MonthEndReport, New_York, utc("2026-12-01T04:30:00Z"));
    assert_eq!(month.period_key, "2026-11", "23:30 on 30 November in New York belongs to November");
    let due = latest_due(Job::WeeklyDigest, New_York, utc("2027-03-16T12:00:00Z")).expect("a past Friday");
    assert_eq!((due.period_key.as_str(), due.utc), ("2027-W10", utc("2027-03-12T22:00:00Z")));
    let exactly = latest_due(Job::WeeklyDigest, New_York, utc("2027-03-12T22:00:00Z")).expect("due at the instant");
    assert_eq!(exactly.period_key, "2027-W10");
}

#[test]
fn job_names_round_trip() {
    for job in Job::ALL {
        assert_eq!(job.name().parse::<Job>(), Ok(job));
    }
    assert!("weekly".parse::<Job>().is_err());
}
