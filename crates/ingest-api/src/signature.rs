//! Webhook signature verification, for every configured secret (several at once while rotating).
//!
//! - Standard Webhooks: `webhook-id`, `webhook-timestamp`, `webhook-signature: v1,<base64>` (space-separated
//!   list), HMAC-SHA256 over `{id}.{timestamp}.{body}`, keyed by the decoded `WEBHOOK_SECRETS`
//!   ([`WebhookSecrets`]: `whsec_` optional, base64 padded or not, as the official libraries decode them).
//! - GitHub style: `X-Hub-Signature-256: sha256=<hex>`, HMAC-SHA256 over the raw body, keyed by `WEBHOOK_RAW_SECRETS`.
//! - Discourse: `X-Discourse-Event-Signature: sha256=<hex>`, HMAC-SHA256 over the raw body, same secrets.
//!
//! Every comparison checks the decoded length first (a truncated or empty signature never matches; see
//! RUSTSEC-2024-0010) and then compares in constant time (`Mac::verify_slice`).

use actix_web::http::header::HeaderMap;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, Mac};
pub use pathfinder_core::settings::WebhookSecrets;
use sha2::Sha256;

use crate::error::ApiError;

type HmacSha256 = Hmac<Sha256>;

/// An HMAC-SHA256 tag is 32 bytes.
const TAG_LEN: usize = 32;

/// Verifies webhook signatures; no secret of either scheme means verification is off.
#[derive(Clone)]
pub struct Verifier {
    secrets: WebhookSecrets,
    tolerance_secs: i64,
}

impl Verifier {
    pub fn new(secrets: WebhookSecrets, tolerance_secs: i64) -> Self {
        Self { secrets, tolerance_secs }
    }

    pub fn enabled(&self) -> bool {
        self.secrets.enabled()
    }

    /// The generic route: Standard Webhooks or GitHub style.
    pub fn verify_generic(&self, headers: &HeaderMap, body: &[u8], now_unix: i64) -> Result<(), ApiError> {
        if !self.enabled() {
            return Ok(());
        }
        if let Some(signatures) = header(headers, "webhook-signature") {
            return self.verify_standard(headers, signatures, body, now_unix);
        }
        if let Some(signature) = header(headers, "x-hub-signature-256") {
            return self.verify_hex_sha256(signature, body);
        }
        Err(ApiError::MissingSignature)
    }

    /// The Discourse route: `X-Discourse-Event-Signature`.
    pub fn verify_discourse(&self, headers: &HeaderMap, body: &[u8]) -> Result<(), ApiError> {
        if !self.enabled() {
            return Ok(());
        }
        let signature = header(headers, "x-discourse-event-signature").ok_or(ApiError::MissingSignature)?;
        self.verify_hex_sha256(signature, body)
    }

    fn verify_standard(&self, headers: &HeaderMap, signatures: &str, body: &[u8], now: i64) -> Result<(), ApiError> {
        let id = header(headers, "webhook-id").ok_or(ApiError::InvalidSignature)?;
        let timestamp = header(headers, "webhook-timestamp").ok_or(ApiError::InvalidSignature)?;
        let sent_at: i64 = timestamp.trim().parse().map_err(|_| ApiError::InvalidSignature)?;
        // abs_diff: `now - sent_at` overflows for timestamps near i64::MIN (a panic with overflow checks on).
        if now.abs_diff(sent_at) > u64::try_from(self.tolerance_secs).unwrap_or(0) {
            return Err(ApiError::StaleTimestamp);
        }
        let candidates: Vec<Vec<u8>> = signatures
            .split_whitespace()
            .filter_map(|entry| entry.strip_prefix("v1,"))
            .filter_map(|b64| STANDARD.decode(b64).ok())
            .filter(|tag| tag.len() == TAG_LEN)
            .collect();
        if candidates.is_empty() {
            return Err(ApiError::InvalidSignature);
        }
        for key in &self.secrets.standard {
            let mut mac = hmac_sha256(key);
            mac.update(id.as_bytes());
            mac.update(b".");
            mac.update(timestamp.as_bytes());
            mac.update(b".");
            mac.update(body);
            if candidates.iter().any(|tag| mac.clone().verify_slice(tag).is_ok()) {
                return Ok(());
            }
        }
        Err(ApiError::InvalidSignature)
    }

    fn verify_hex_sha256(&self, signature: &str, body: &[u8]) -> Result<(), ApiError> {
        let hex_tag = signature.trim().strip_prefix("sha256=").ok_or(ApiError::InvalidSignature)?;
        if hex_tag.len() != TAG_LEN * 2 {
            return Err(ApiError::InvalidSignature);
        }
        let tag = hex::decode(hex_tag).map_err(|_| ApiError::InvalidSignature)?;
        for key in &self.secrets.raw {
            let mut mac = hmac_sha256(key);
            mac.update(body);
            if mac.verify_slice(&tag).is_ok() {
                return Ok(());
            }
        }
        Err(ApiError::InvalidSignature)
    }
}

fn hmac_sha256(key: &[u8]) -> HmacSha256 {
    // HMAC accepts keys of any length, so this cannot fail.
    HmacSha256::new_from_slice(key).unwrap_or_else(|_| unreachable_key())
}

#[allow(clippy::panic)]
fn unreachable_key() -> HmacSha256 {
    panic!("HMAC-SHA256 accepts keys of any length")
}

fn header<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok()).filter(|v| !v.is_empty())
}

/// Signs like a sender would: used by tests, the benchmark and the docs' examples.
pub mod sign {
    use super::*;

    /// `webhook-signature` header value for a Standard Webhooks delivery; `secret` as in `WEBHOOK_SECRETS`.
    ///
    /// # Panics
    /// When the secret is not a Standard Webhooks secret (a test or example bug).
    #[allow(clippy::panic)]
    pub fn standard(secret: &str, id: &str, timestamp: i64, body: &[u8]) -> String {
        let key = pathfinder_core::settings::decode_standard_secret(secret)
            .unwrap_or_else(|| panic!("not a Standard Webhooks secret (whsec_ followed by base64)"));
        let mut mac = hmac_sha256(&key);
        mac.update(format!("{id}.{timestamp}.").as_bytes());
        mac.update(body);
        format!("v1,{}", STANDARD.encode(mac.finalize().into_bytes()))
    }

    /// `sha256=<hex>` over the body (GitHub `X-Hub-Signature-256`, Discourse `X-Discourse-Event-Signature`);
    /// `secret` as in `WEBHOOK_RAW_SECRETS`.
    pub fn hex_sha256(secret: &str, body: &[u8]) -> String {
        let mut mac = hmac_sha256(secret.as_bytes());
        mac.update(body);
        format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
    }
}

#[cfg(test)]
mod tests;
