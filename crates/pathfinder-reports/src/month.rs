//! A calendar month in the configured time zone, as the UTC interval `[start, end)` it covers.

use chrono::{DateTime, Datelike, NaiveDate, Utc};
use chrono_tz::Tz;
use pathfinder_core::schedule::resolve_local;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Month {
    pub first_day: NaiveDate,
    pub tz: Tz,
}

impl Month {
    /// The month containing the instant `at` in `tz`.
    pub fn containing(at: DateTime<Utc>, tz: Tz) -> Self {
        let local = at.with_timezone(&tz).date_naive();
        Self { first_day: local.with_day(1).unwrap_or(local), tz }
    }

    /// From a `YYYY-MM` period key.
    pub fn parse(key: &str, tz: Tz) -> Option<Self> {
        let first_day = NaiveDate::parse_from_str(&format!("{key}-01"), "%Y-%m-%d").ok()?;
        Some(Self { first_day, tz })
    }

    pub fn key(&self) -> String {
        self.first_day.format("%Y-%m").to_string()
    }

    /// "November 2026".
    pub fn label(&self) -> String {
        self.first_day.format("%B %Y").to_string()
    }

    pub fn next_first_day(&self) -> NaiveDate {
        let (year, month) = if self.first_day.month() == 12 {
            (self.first_day.year() + 1, 1)
        } else {
            (self.first_day.year(), self.first_day.month() + 1)
        };
        NaiveDate::from_ymd_opt(year, month, 1).unwrap_or(self.first_day)
    }

    /// Midnight of the first day, local time, as UTC.
    pub fn start(&self) -> DateTime<Utc> {
        resolve_local(self.tz, self.first_day.and_time(chrono::NaiveTime::MIN)).with_timezone(&Utc)
    }

    /// Midnight of the next month's first day, local time, as UTC (exclusive).
    pub fn end(&self) -> DateTime<Utc> {
        resolve_local(self.tz, self.next_first_day().and_time(chrono::NaiveTime::MIN)).with_timezone(&Utc)
    }
}
