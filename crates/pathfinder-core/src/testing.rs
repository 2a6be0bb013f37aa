//! Test support for the workspace's integration tests (feature `testing`).
//!
//! - [`TestDatabase`]: a fresh database per test, cloned from a migrated template, so tests run in parallel and
//!   never see each other's rows. The server comes from `PF_ADMIN_DATABASE_URL` (set by `make test`), else
//!   `DATABASE_URL`'s server, else `postgres://postgres@127.0.0.1:5432/postgres`.
//! - [`PrivateCluster`]: a throw-away PostgreSQL server of the test's own, which a test may stop and start.

mod cluster;
mod database;

pub use cluster::PrivateCluster;
pub use database::{TestDatabase, admin_url};
