//! report-builder: month-end reports and housekeeping.
//!
//! - `month-end-report` ([`jobs::MonthEndReportJob`], from `pathfinder-reports`) on the last day of each month at
//!   23:55 in the configured zone: a CSV ([`csv_report`]) and an HTML page ([`html_report`], template
//!   `config/templates/report.html`) for that calendar month, written to [`storage`] and recorded in `reports`;
//! - month-to-date reports queued by `POST /admin/generate-reports` ([`queue`]);
//! - the roster of current seniors ([`roster`], `pathfinder report roster`);
//! - `purge-events` ([`jobs::PurgeEventsJob`]) daily at 02:00 ([`purge`]).

pub mod queue;
pub mod startup;

pub use pathfinder_reports::{csv_report, data, generate, html_report, jobs, month, purge, roster, storage};
pub use startup::Application;
