//! Shared ground of the CaptPathfinder services.
//!
//! Every binary of the workspace (`ingest-api`, `classifier`, `digest-sender`, `report-builder`, `pathfinder`)
//! builds on this crate: layered typed [`settings`], the PostgreSQL [`db`] pool, embedded [`migrations`],
//! [`telemetry`] (logs and metrics) and cooperative [`shutdown`].

pub mod db;
pub mod health;
pub mod jobs;
pub mod listen;
pub mod member;
pub mod migrations;
pub mod outbound;
pub mod privacy;
pub mod schedule;
pub mod service;
pub mod settings;
pub mod shutdown;
pub mod supervise;
pub mod telemetry;

pub use settings::Settings;

#[cfg(feature = "testing")]
pub mod testing;
