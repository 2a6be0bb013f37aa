//! Personal data: member erasure (with an optional opt-out) and the hash-chained audit log.
//!
//! Both work on a plain `tokio_postgres` client, so the CLI (`pathfinder forget`, `pathfinder audit`) and the admin
//! API (`DELETE /admin/members/{userId}`, `GET /admin/audit`) share one implementation. Member ids never reach the
//! audit log or the opt-out list: both hold `pf_member_hash(user_id)`, a salted SHA-256 (migration V6).

pub mod audit;
pub mod erasure;

pub use audit::{AuditEntry, AuditFilter, ChainCheck};
pub use erasure::{Erasure, SourceErasure, forget_member};
