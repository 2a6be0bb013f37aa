//! Endpoint secrets and the `webhook-signature` header (Standard Webhooks, "Signature scheme"): HMAC-SHA256 keyed
//! by the base64-decoded part of `whsec_<base64>`, over `{webhook-id}.{webhook-timestamp}.{body}`, sent as
//! `v1,<base64 tag>`; several signatures (during a secret rotation) are separated by spaces.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::settings::decode_standard_secret;

/// Key bytes of a new secret (the specification asks for 24 to 64).
const KEY_BYTES: usize = 32;

/// A new random secret, `whsec_<base64 of 32 bytes>`.
pub fn generate() -> anyhow::Result<String> {
    let mut key = [0_u8; KEY_BYTES];
    getrandom::fill(&mut key).map_err(|e| anyhow::anyhow!("no randomness for a webhook secret: {e}"))?;
    Ok(format!("whsec_{}", STANDARD.encode(key)))
}

/// The `webhook-signature` header value: one `v1,<base64>` per secret that decodes, space-separated.
pub fn signature_header(secrets: &[&str], message_id: &str, timestamp: i64, body: &[u8]) -> String {
    secrets
        .iter()
        .filter_map(|secret| decode_standard_secret(secret))
        .filter_map(|key| tag(&key, message_id, timestamp, body))
        .map(|tag| format!("v1,{}", STANDARD.encode(tag)))
        .collect::<Vec<_>>()
        .join(" ")
}

/// HMAC-SHA256 over `{id}.{timestamp}.{body}` (`None` never happens: HMAC takes keys of any length).
fn tag(key: &[u8], message_id: &str, timestamp: i64, body: &[u8]) -> Option<Vec<u8>> {
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(key).ok()?;
    mac.update(message_id.as_bytes());
    mac.update(b".");
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    Some(mac.finalize().into_bytes().to_vec())
}

#[cfg(test)]
mod tests {
    use super::{generate, signature_header};

    /// The example of the Standard Webhooks reference libraries' tests
    /// (standard-webhooks/standard-webhooks, libraries/javascript/src/index.test.ts).
    #[test]
    fn signs_like_the_reference_libraries() {
        let header = signature_header(
            &["whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"],
            "msg_p5jXN8AQM9LWM0D4loKWxJek",
            1614265330,
            br#"{"test": 2432232314}"#,
        );
        assert_eq!(header, "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
    }

    #[test]
    fn new_secrets_are_random_and_decode() {
        let (a, b) = (generate().expect("secret"), generate().expect("secret"));
        assert_ne!(a, b);
        assert!(a.starts_with("whsec_"));
        assert_eq!(crate::settings::decode_standard_secret(&a).map(|k| k.len()), Some(32));
        assert_eq!(signature_header(&[&a, &b], "msg_1", 1, b"{}").split(' ').count(), 2);
    }
}
