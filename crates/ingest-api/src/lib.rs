//! ingest-api: the webhook receiver of CaptPathfinder.
//!
//! A request is checked in a fixed order (content type, size, signature, JSON, fields), then handed to the
//! [`store::EventWriter`], which writes whatever arrived in the same moment with one multi-row insert and one
//! commit, and answers each request only once its own row is committed.

pub mod error;
pub mod metrics;
pub mod openapi;
pub mod payload;
pub mod routes;
pub mod signature;
pub mod startup;
pub mod store;

mod body;
mod request_id;

pub use startup::Application;
