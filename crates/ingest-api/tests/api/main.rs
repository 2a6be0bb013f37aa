//! ingest-api integration tests: the real service on port 0, each test with its own PostgreSQL database.

mod admin;
mod browser;
mod community;
mod dashboard;
mod dedupe;
mod discourse;
mod discourse_erasure;
mod helpers;
mod hostile;
mod logging;
mod observability;
mod openapi;
mod outage;
mod outbound_endpoints;
mod privacy;
mod refused;
mod schemathesis;
mod signatures;
mod sources;
mod standard_webhooks;
mod validation;
