//! Durable, idempotent storage of webhook events with group commit.
//!
//! Requests hand their event to the [`EventWriter`] and wait. A few writer tasks each take whatever is queued
//! (up to `batch_max_rows`), write it with one multi-row statement (one commit), and answer every request of the
//! batch once the commit is done. While one batch commits the next one fills, so the database sees a few large
//! transactions instead of many tiny ones.

mod batch;
mod insert;

pub use batch::{EventWriter, WriterConfig};

/// What happened to one event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StoreOutcome {
    /// Stored and committed now.
    Accepted(i64),
    /// The same delivery was stored before (its event id).
    Duplicate(i64),
    /// The profile field is not registered as a job-title field, or the member opted out; nothing stored.
    Ignored,
}

/// Why an event could not be stored.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StoreError {
    #[error("database unavailable")]
    Unavailable,
    #[error("storage failed: {0}")]
    Failed(String),
}
