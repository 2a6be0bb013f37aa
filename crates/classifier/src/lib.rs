//! classifier: turns stored profile events into `user_state` and detections.
//!
//! Workers claim pending events in batches under a lease ([`queue`]), apply each batch in one transaction holding a
//! per-member lock so a member's events apply in the order received even with several replicas ([`batch`], from
//! `pathfinder-members`), and wake on `NOTIFY pathfinder_events` with a polling fallback
//! (`pathfinder_core::listen`). Rules reload on SIGHUP ([`rules`]). With Discourse reconciliation enabled, it also
//! runs the daily `discourse-reconcile` job ([`reconcile`]); both live in `pathfinder-members`, shared with the CLI.

pub mod enrich;
pub mod queue;
pub mod startup;
pub mod worker;

pub use pathfinder_members::{batch, import, reclassify, reconcile, rules, transition};
pub use startup::Application;
