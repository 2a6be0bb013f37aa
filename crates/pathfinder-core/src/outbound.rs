//! Outbound webhooks, following the Standard Webhooks specification (<https://www.standardwebhooks.com/>): the
//! endpoints operators register, the events sent to them, and what happened to each delivery.
//!
//! Shared by the CLI (`pathfinder endpoints ...`), the admin API (`/admin/endpoints`) and digest-sender, which
//! delivers. The fan-out from a detection (or a sent digest) to one delivery row per endpoint is done by triggers
//! (migration V14), in the transaction that writes the detection: see docs/ARCHITECTURE.md, "Outbound webhooks".
//!
//! - [`target`]: which URLs may be called (SSRF: no loopback, private or link-local address, checked when an endpoint
//!   is added and again at every delivery, unless `PATHFINDER_OUTBOUND__ALLOW_PRIVATE_TARGETS`);
//! - [`secret`]: `whsec_` secrets and the `webhook-signature` header;
//! - [`endpoints`]: add, list, remove, rotate a secret, enable;
//! - [`deliveries`]: a delivery's attempts, a manual resend.

pub mod deliveries;
pub mod endpoints;
pub mod error;
pub mod secret;
pub mod target;

pub use error::OutboundError;

use serde::{Deserialize, Serialize};

/// The events an endpoint can take.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, utoipa::ToSchema)]
pub enum EventType {
    /// One per detection (a new senior executive, or a promotion).
    #[serde(rename = "detection.created")]
    DetectionCreated,
    /// One per digest, once it is delivered.
    #[serde(rename = "digest.sent")]
    DigestSent,
}

impl EventType {
    pub const ALL: [EventType; 2] = [EventType::DetectionCreated, EventType::DigestSent];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::DetectionCreated => "detection.created",
            Self::DigestSent => "digest.sent",
        }
    }

    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|e| e.as_str() == name)
    }

    /// A comma-separated list (`detection.created,digest.sent`); empty means every event.
    pub fn parse_list(list: &str) -> Result<Vec<Self>, OutboundError> {
        let mut types = Vec::new();
        for name in list.split(',').map(str::trim).filter(|n| !n.is_empty()) {
            let event = Self::parse(name).ok_or_else(|| OutboundError::UnknownEventType(name.to_owned()))?;
            if !types.contains(&event) {
                types.push(event);
            }
        }
        if types.is_empty() {
            types = Self::ALL.to_vec();
        }
        types.sort();
        Ok(types)
    }
}

impl std::fmt::Display for EventType {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::EventType;

    #[test]
    fn event_lists_parse() {
        assert_eq!(EventType::parse_list("").expect("empty"), EventType::ALL.to_vec());
        assert_eq!(
            EventType::parse_list("digest.sent, detection.created,digest.sent").expect("both"),
            EventType::ALL.to_vec()
        );
        assert_eq!(EventType::parse_list("detection.created").expect("one"), vec![EventType::DetectionCreated]);
        assert_eq!(EventType::parse_list("detection.deleted").expect_err("unknown").code(), "unknown-event-type");
    }
}
