//! Time-zone-true schedules for the scheduled jobs.
//!
//! Each job fires at a local wall-clock time in the configured zone (default America/New_York):
//! `weekly-digest` Fridays 17:00, `month-end-report` the last day of each month 23:55, `purge-events` daily 02:00,
//! `discourse-reconcile` (when enabled) daily at `PATHFINDER_DISCOURSE__RECONCILE_HOUR` (default 03:00).
//! Daylight saving time is handled by the zone's rules (chrono-tz), not by a fixed UTC offset:
//! - a local time that does not exist that day (spring forward) fires at the first instant after the gap;
//! - a local time that happens twice (fall back) fires once, at its first occurrence.
//!
//! Every occurrence belongs to a period (`period_key`: the ISO week, the month, or the day, in local time), which is
//! what the job ledger keys on so a period runs exactly once.

mod occurrence;

pub use occurrence::{CatchUp, Job, Occurrence, ParseJobError};

use chrono::{DateTime, Datelike, Duration, LocalResult, NaiveDate, NaiveDateTime, NaiveTime, TimeZone, Utc, Weekday};
use chrono_tz::Tz;

/// When a job fires, in local wall-clock terms.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rule {
    /// Every week on `weekday` at `time`.
    Weekly { weekday: Weekday, time: NaiveTime },
    /// The last day of every month at `time`.
    MonthEnd { time: NaiveTime },
    /// Every day at `time`.
    Daily { time: NaiveTime },
}

impl Rule {
    /// The rule of each job (the product's schedule; `discourse-reconcile`'s hour is configurable, see
    /// `DiscourseSettings::reconcile_rule`, and 03:00 is its default).
    pub fn of(job: Job) -> Self {
        let at = |h, m| NaiveTime::from_hms_opt(h, m, 0).unwrap_or(NaiveTime::MIN);
        match job {
            Job::WeeklyDigest => Self::Weekly { weekday: Weekday::Fri, time: at(17, 0) },
            Job::MonthEndReport => Self::MonthEnd { time: at(23, 55) },
            Job::PurgeEvents => Self::Daily { time: at(2, 0) },
            Job::DiscourseReconcile => Self::Daily { time: at(3, 0) },
        }
    }

    /// The local dates on which the rule fires, starting with the one on or after `from`.
    fn dates_from(self, from: NaiveDate) -> impl Iterator<Item = NaiveDate> {
        let mut next = Some(from);
        std::iter::from_fn(move || {
            let date = next?;
            let fire = match self {
                Self::Weekly { weekday, .. } => {
                    let ahead = (7 + weekday.num_days_from_monday() - date.weekday().num_days_from_monday()) % 7;
                    date + Duration::days(i64::from(ahead))
                }
                Self::MonthEnd { .. } => last_day_of_month(date),
                Self::Daily { .. } => date,
            };
            next = fire.succ_opt();
            Some(fire)
        })
    }

    fn time(self) -> NaiveTime {
        match self {
            Self::Weekly { time, .. } | Self::MonthEnd { time } | Self::Daily { time } => time,
        }
    }

    /// The period a firing on local `date` belongs to.
    fn period_key(self, date: NaiveDate) -> String {
        match self {
            Self::Weekly { .. } => {
                let week = date.iso_week();
                format!("{}-W{:02}", week.year(), week.week())
            }
            Self::MonthEnd { .. } => format!("{:04}-{:02}", date.year(), date.month()),
            Self::Daily { .. } => date.format("%Y-%m-%d").to_string(),
        }
    }
}

fn last_day_of_month(date: NaiveDate) -> NaiveDate {
    let (year, month) = if date.month() == 12 { (date.year() + 1, 1) } else { (date.year(), date.month() + 1) };
    NaiveDate::from_ymd_opt(year, month, 1).and_then(|first| first.pred_opt()).unwrap_or(date)
}

/// The instant a local wall-clock time names in `tz`: the earlier one when it happens twice, the first instant
/// after the gap when it does not exist.
pub fn resolve_local(tz: Tz, local: NaiveDateTime) -> DateTime<Tz> {
    match tz.from_local_datetime(&local) {
        LocalResult::Single(instant) => instant,
        LocalResult::Ambiguous(earliest, _) => earliest,
        LocalResult::None => first_instant_at_or_after(tz, local),
    }
}

/// The earliest instant whose local time is at or after `local`: for a time inside a spring-forward gap, the
/// transition instant itself (local time = the end of the gap). Local time only moves forward around a gap, so a
/// binary search over UTC seconds finds it.
fn first_instant_at_or_after(tz: Tz, local: NaiveDateTime) -> DateTime<Tz> {
    let mut low = Utc.from_utc_datetime(&(local - Duration::hours(36)));
    let mut high = Utc.from_utc_datetime(&(local + Duration::hours(36)));
    while high - low > Duration::seconds(1) {
        let middle = low + (high - low) / 2;
        if middle.with_timezone(&tz).naive_local() >= local {
            high = middle;
        } else {
            low = middle;
        }
    }
    high.with_timezone(&tz)
}

/// The first `count` occurrences of `job` strictly after `after`.
pub fn upcoming(job: Job, tz: Tz, after: DateTime<Utc>, count: usize) -> Vec<Occurrence> {
    upcoming_by(job, Rule::of(job), tz, after, count)
}

/// [`upcoming`] with the job firing by `rule` (a configured time, such as `discourse-reconcile`'s hour).
pub fn upcoming_by(job: Job, rule: Rule, tz: Tz, after: DateTime<Utc>, count: usize) -> Vec<Occurrence> {
    // Start a day early in local time: an occurrence after `after` may fall on the previous local date.
    let start = after.with_timezone(&tz).date_naive().pred_opt().unwrap_or(NaiveDate::MIN);
    rule.dates_from(start).map(|date| occurrence(job, rule, tz, date)).filter(|o| o.utc > after).take(count).collect()
}

/// Every occurrence of `job` strictly after `after` and at or before `until`, oldest first (however many years).
pub fn between(job: Job, tz: Tz, after: DateTime<Utc>, until: DateTime<Utc>) -> Vec<Occurrence> {
    between_by(job, Rule::of(job), tz, after, until)
}

fn between_by(job: Job, rule: Rule, tz: Tz, after: DateTime<Utc>, until: DateTime<Utc>) -> Vec<Occurrence> {
    let start = after.with_timezone(&tz).date_naive().pred_opt().unwrap_or(NaiveDate::MIN);
    rule.dates_from(start)
        .map(|date| occurrence(job, rule, tz, date))
        .skip_while(|o| o.utc <= after)
        .take_while(|o| o.utc <= until)
        .collect()
}

/// The occurrences a catch-up at `now` considers for `job`, by its [`CatchUp`] rule: those after `floor` (the
/// install) and at or before `now`; the ledger then says which of them have not run.
pub fn catch_up_candidates(job: Job, tz: Tz, floor: DateTime<Utc>, now: DateTime<Utc>) -> Vec<Occurrence> {
    catch_up_candidates_by(job, Rule::of(job), tz, floor, now)
}

/// [`catch_up_candidates`] with the job firing by `rule`.
pub fn catch_up_candidates_by(
    job: Job,
    rule: Rule,
    tz: Tz,
    floor: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Vec<Occurrence> {
    match job.catch_up() {
        CatchUp::LatestOnly => latest_due_by(job, rule, tz, now).into_iter().filter(|o| o.utc > floor).collect(),
        CatchUp::EveryPeriod => between_by(job, rule, tz, floor, now),
    }
}

/// The latest occurrence of `job` at or before `at` (the one a catch-up run would be for).
pub fn latest_due(job: Job, tz: Tz, at: DateTime<Utc>) -> Option<Occurrence> {
    latest_due_by(job, Rule::of(job), tz, at)
}

fn latest_due_by(job: Job, rule: Rule, tz: Tz, at: DateTime<Utc>) -> Option<Occurrence> {
    let start = (at - Duration::days(40)).with_timezone(&tz).date_naive();
    rule.dates_from(start).map(|date| occurrence(job, rule, tz, date)).take_while(|o| o.utc <= at).last()
}

/// The occurrence of `job` whose period contains the instant `at` (for `pathfinder jobs run <job> --at`).
pub fn period_containing(job: Job, tz: Tz, at: DateTime<Utc>) -> Occurrence {
    let rule = Rule::of(job);
    let local_date = at.with_timezone(&tz).date_naive();
    let date = match rule {
        Rule::Weekly { weekday, .. } => {
            // The firing of this ISO week.
            let monday = local_date - Duration::days(i64::from(local_date.weekday().num_days_from_monday()));
            monday + Duration::days(i64::from(weekday.num_days_from_monday()))
        }
        Rule::MonthEnd { .. } => last_day_of_month(local_date),
        Rule::Daily { .. } => local_date,
    };
    occurrence(job, rule, tz, date)
}

fn occurrence(job: Job, rule: Rule, tz: Tz, date: NaiveDate) -> Occurrence {
    let local = resolve_local(tz, date.and_time(rule.time()));
    Occurrence { job, local: local.fixed_offset(), utc: local.with_timezone(&Utc), period_key: rule.period_key(date) }
}

#[cfg(test)]
mod tests;
