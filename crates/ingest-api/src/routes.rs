//! HTTP routes, one handler per file.

pub mod admin;
pub mod community;
pub mod discourse;
pub mod health;
pub mod metrics;
pub mod ready;

mod respond;
mod state;

pub use state::AppState;
