//! classifier: turns stored profile events into `user_state` and detections.
//!
//! Workers claim pending events in batches under a lease ([`queue`]), apply each batch in one transaction holding a
//! per-member lock so a member's events apply in the order received even with several replicas ([`batch`]), and
//! wake on `NOTIFY pathfinder_events` with a polling fallback (`pathfinder_core::listen`). Rules reload on SIGHUP ([`rules`]).
//! With Discourse reconciliation enabled, it also runs the daily `discourse-reconcile` job ([`reconcile`]).

pub mod batch;
pub mod enrich;
pub mod import;
pub mod queue;
pub mod reclassify;
pub mod reconcile;
pub mod rules;
pub mod startup;
pub mod transition;
pub mod worker;

pub use startup::Application;
