//! Reports and housekeeping, shared by report-builder (which runs them on schedule and from its queue) and the CLI
//! (`pathfinder jobs run`, `pathfinder report roster`).
//!
//! - `month-end-report` ([`jobs::MonthEndReportJob`]): a CSV ([`csv_report`]) and an HTML page ([`html_report`],
//!   template `config/templates/report.html`) for a calendar month ([`month`], data from [`data`]), written by
//!   [`generate`] to [`storage`] and recorded in `reports`;
//! - the roster of current seniors ([`roster`], `pathfinder report roster`);
//! - `purge-events` ([`jobs::PurgeEventsJob`]): retention ([`purge`]).
//!
//! [`jobs::generator`] and [`jobs::handlers`] build them from settings.

pub mod csv_report;
pub mod data;
pub mod generate;
pub mod html_report;
pub mod jobs;
pub mod month;
pub mod purge;
pub mod roster;
pub mod storage;
