//! Test support for the workspace's integration tests (feature `testing`).
//!
//! - [`TestDatabase`]: a fresh database per test, cloned from a migrated template, so tests run in parallel and
//!   never see each other's rows. The server comes from `PF_ADMIN_DATABASE_URL` (set by `make test`), else
//!   `DATABASE_URL`'s server, else `postgres://postgres@127.0.0.1:5432/postgres`.
//! - [`PrivateCluster`]: a throw-away PostgreSQL server of the test's own, which a test may stop and start.
//! - [`python_tool`]: the Python test tools, in the project's `.venv/` (made by `make test`).

mod cluster;
mod database;
mod tools;

pub use cluster::PrivateCluster;
pub use database::{TestDatabase, admin_url};
pub use tools::{python_tool, venv};
