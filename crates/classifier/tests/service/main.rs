//! classifier integration tests against a real PostgreSQL database of their own.

mod crash;
mod enrichment;
mod health;
mod helpers;
mod logs;
mod ordering;
mod poison;
mod reconcile;
mod reload;
mod startup;
mod transitions;
