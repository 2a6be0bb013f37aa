//! A configured secret, ready as HMAC keys for each scheme.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use hmac::Mac;

use super::HmacSha256;

#[derive(Clone)]
pub struct SecretKey {
    /// The secret's bytes as written (GitHub and Discourse sign with these).
    raw: Vec<u8>,
    /// Standard Webhooks key: the base64-decoded part of a `whsec_` secret, else the raw bytes.
    standard: Vec<u8>,
}

impl SecretKey {
    pub fn parse(secret: &str) -> Self {
        let raw = secret.as_bytes().to_vec();
        let standard =
            secret.strip_prefix("whsec_").and_then(|b64| STANDARD.decode(b64).ok()).unwrap_or_else(|| raw.clone());
        Self { raw, standard }
    }

    pub(super) fn raw_mac(&self) -> HmacSha256 {
        // HMAC accepts keys of any length, so this cannot fail.
        HmacSha256::new_from_slice(&self.raw).unwrap_or_else(|_| unreachable_key())
    }

    pub(super) fn standard_mac(&self) -> HmacSha256 {
        HmacSha256::new_from_slice(&self.standard).unwrap_or_else(|_| unreachable_key())
    }
}

#[allow(clippy::panic)]
fn unreachable_key() -> HmacSha256 {
    panic!("HMAC-SHA256 accepts keys of any length")
}
