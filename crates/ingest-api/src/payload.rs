//! Turning a verified webhook body into the event we store.
//!
//! Two senders are understood: the generic seed JSON ([`community`]) and Discourse's `user_updated` ([`discourse`]).
//! Both produce a [`Parsed`]: an event to store, or "ignored" (nothing to store, answered 202 ignored).

pub mod community;
pub mod discourse;
mod fields;

use sha2::{Digest, Sha256};

/// Where an event came from (`events_raw.source`).
pub use pathfinder_core::member::Source;

/// A profile event ready to be written to events_raw.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewEvent {
    pub source: Source,
    /// Idempotency key (see [`DedupeKey`]).
    pub dedupe: DedupeKey,
    pub user_id: String,
    pub username: Option<String>,
    pub profile_field: String,
    pub value: Option<String>,
    pub old_value: Option<String>,
    /// Whether the field must be registered in field_registry (the generic route) or is known to be the
    /// job-title field already (Discourse's configured user field).
    pub check_registry: bool,
}

/// What names a delivery for deduplication.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DedupeKey {
    /// The sender's own delivery id (`webhook-id`, `X-GitHub-Delivery`): the same id is the same delivery.
    DeliveryId(String),
    /// SHA-256 of the raw body, for senders without a stable id: the same body is the same delivery only within
    /// the dedupe window and while it is still the member's latest event.
    BodyHash(String),
}

impl DedupeKey {
    pub fn body_hash(body: &[u8]) -> Self {
        Self::BodyHash(hex::encode(Sha256::digest(body)))
    }

    /// The stored key, namespaced by source and kind.
    pub fn storage_key(&self, source: Source) -> String {
        match self {
            Self::DeliveryId(id) => format!("{}:id:{id}", source.as_str()),
            Self::BodyHash(hash) => format!("{}:sha256:{hash}", source.as_str()),
        }
    }

    pub fn is_body_hash(&self) -> bool {
        matches!(self, Self::BodyHash(_))
    }
}

/// The result of parsing a body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Parsed {
    Event(NewEvent),
    /// Nothing to store (an event type or field we do not watch); the reason goes to the debug log.
    Ignored(&'static str),
    /// The member left the platform (Discourse `user_destroyed`, or anonymised): erase them on this source.
    Erase(Source, String),
}
