//! The admin API (`/admin/...`), behind `Authorization: Bearer $ADMIN_TOKEN`.

pub mod auth;
pub mod generate_reports;
pub mod recent_detections;
pub mod send_digests;
pub mod stats;
