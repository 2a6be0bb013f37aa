//! Outbound webhooks end to end: real PostgreSQL (the fan-out triggers of migration V14), the real worker, and a
//! local receiver (tests/fakes/webhook_receiver.py) that verifies every request with the official Standard Webhooks
//! library (PyPI `standardwebhooks`, from the project's .venv).

mod disable;
mod erasure;
mod helpers;
mod order;
mod receiver;
mod retries;
mod signing;
mod ssrf;
