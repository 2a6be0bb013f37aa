//! ingest-api integration tests: the real service on port 0, each test with its own PostgreSQL database.

mod admin;
mod browser;
mod community;
mod dashboard;
mod dedupe;
mod discourse;
mod helpers;
mod observability;
mod openapi;
mod outage;
mod refused;
mod signatures;
mod validation;
