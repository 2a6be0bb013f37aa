//! The admin API (`/admin/...`), behind `Authorization: Bearer $ADMIN_TOKEN`.

pub mod auth;
pub mod dashboard;
pub mod dashboard_data;
pub mod generate_reports;
pub mod recent_detections;
pub mod send_digests;
pub mod session;
pub mod stats;
