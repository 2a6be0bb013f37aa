//! Webhook signing secrets, one setting per scheme, decoded once at start.
//!
//! - `WEBHOOK_SECRETS`: Standard Webhooks secrets, decoded as the official libraries (Python, JavaScript, Rust, Go,
//!   Svix) do: an optional `whsec_` prefix, then base64 (standard alphabet), padded or not. A secret that does not
//!   decode stops the binary at start (it used to fall back to its raw bytes, so every correctly signed delivery
//!   answered 401).
//! - `WEBHOOK_RAW_SECRETS`: GitHub-style (`X-Hub-Signature-256`) and Discourse secrets, used as the text written.
//!
//! Each is a comma-separated list; list the new secret beside the old one while rotating.

use base64::Engine;
use base64::alphabet::STANDARD;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};

use super::SettingsError;

/// Base64 with the standard alphabet, with or without `=` padding.
const PADDING_EITHER_WAY: GeneralPurpose = GeneralPurpose::new(
    &STANDARD,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

/// The decoded keys of both schemes; both empty means signatures are not checked.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct WebhookSecrets {
    /// HMAC keys for Standard Webhooks (`webhook-signature`).
    pub standard: Vec<Vec<u8>>,
    /// HMAC keys for `X-Hub-Signature-256` and `X-Discourse-Event-Signature` (the secrets' bytes as written).
    pub raw: Vec<Vec<u8>>,
}

impl WebhookSecrets {
    /// Parses the two comma-separated settings; the error names `WEBHOOK_SECRETS` and the entry's position, never
    /// the secret.
    pub fn parse(standard: &str, raw: &str) -> Result<Self, SettingsError> {
        let standard = entries(standard)
            .enumerate()
            .map(|(n, secret)| {
                decode_standard_secret(secret).ok_or_else(|| {
                    SettingsError::new(
                        "WEBHOOK_SECRETS",
                        format!(
                            "entry {} is not a Standard Webhooks secret (whsec_ followed by base64); \
                             GitHub-style or Discourse secrets go in WEBHOOK_RAW_SECRETS",
                            n + 1
                        ),
                    )
                })
            })
            .collect::<Result<_, _>>()?;
        let raw = entries(raw).map(|secret| secret.as_bytes().to_vec()).collect();
        Ok(Self { standard, raw })
    }

    /// Whether any secret is configured (then every webhook must be signed).
    pub fn enabled(&self) -> bool {
        !self.standard.is_empty() || !self.raw.is_empty()
    }
}

/// A Standard Webhooks secret's key: optional `whsec_` prefix, then base64 padded or not; `None` if it does not
/// decode to at least one byte.
pub fn decode_standard_secret(secret: &str) -> Option<Vec<u8>> {
    let encoded = secret.trim();
    let encoded = encoded.strip_prefix("whsec_").unwrap_or(encoded);
    PADDING_EITHER_WAY.decode(encoded).ok().filter(|key| !key.is_empty())
}

/// Counts only: the keys never reach a log through `{:?}`.
impl std::fmt::Debug for WebhookSecrets {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WebhookSecrets")
            .field("standard", &format_args!("{} key(s)", self.standard.len()))
            .field("raw", &format_args!("{} key(s)", self.raw.len()))
            .finish()
    }
}

fn entries(list: &str) -> impl Iterator<Item = &str> {
    list.split(',').map(str::trim).filter(|s| !s.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefixed_unprefixed_padded_and_unpadded_decode_to_the_same_key() {
        // base64("rotated-secret-2026") needs one `=`.
        let key = b"rotated-secret-2026".to_vec();
        for secret in [
            "whsec_cm90YXRlZC1zZWNyZXQtMjAyNg==",
            "whsec_cm90YXRlZC1zZWNyZXQtMjAyNg",
            "cm90YXRlZC1zZWNyZXQtMjAyNg==",
            "cm90YXRlZC1zZWNyZXQtMjAyNg",
        ] {
            assert_eq!(decode_standard_secret(secret), Some(key.clone()), "{secret}");
        }
    }

    #[test]
    fn undecodable_standard_secret_is_an_error_naming_the_setting_not_the_secret() {
        for bad in ["whsec_not base64!", "rotated-secret-2026", "whsec_", "whsec_a"] {
            let error =
                WebhookSecrets::parse(&format!("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw,{bad}"), "").expect_err(bad);
            assert_eq!(error.setting, "WEBHOOK_SECRETS");
            assert!(error.problem.contains("entry 2"), "{}", error.problem);
            assert!(bad.len() < 8 || !error.problem.contains(bad), "the secret leaked: {}", error.problem);
        }
    }

    #[test]
    fn raw_secrets_are_kept_as_written() {
        let secrets = WebhookSecrets::parse("", "gh-secret, rotated-secret-2026").expect("raw");
        assert_eq!(secrets.raw, vec![b"gh-secret".to_vec(), b"rotated-secret-2026".to_vec()]);
        assert!(secrets.standard.is_empty() && secrets.enabled());
        assert!(!WebhookSecrets::parse("", " , ").expect("empty").enabled());
    }
}
