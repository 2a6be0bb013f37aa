use actix_web::http::header::{HeaderMap, HeaderName, HeaderValue};

use super::*;

const NOW: i64 = 1_790_000_000;
const BODY: &[u8] = br#"{"userId":"1","profileField":"Job Title","value":"CEO"}"#;

fn headers(pairs: &[(&'static str, String)]) -> HeaderMap {
    let mut map = HeaderMap::new();
    for (name, value) in pairs {
        map.insert(HeaderName::from_static(name), HeaderValue::from_str(value).expect("header value"));
    }
    map
}

/// Standard Webhooks secrets and raw (GitHub-style, Discourse) secrets, as the two settings hold them.
fn verifier_with(standard: &[&str], raw: &[&str]) -> Verifier {
    Verifier::new(WebhookSecrets::parse(&standard.join(","), &raw.join(",")).expect("secrets"), 300)
}

fn verifier(standard: &[&str]) -> Verifier {
    verifier_with(standard, &[])
}

fn standard_headers(secret: &str, id: &str, ts: i64, body: &[u8]) -> HeaderMap {
    headers(&[
        ("webhook-id", id.to_string()),
        ("webhook-timestamp", ts.to_string()),
        ("webhook-signature", sign::standard(secret, id, ts, body)),
    ])
}

#[test]
fn disabled_verifier_accepts_anything() {
    assert!(verifier(&[]).verify_generic(&HeaderMap::new(), BODY, NOW).is_ok());
}

/// Before the fix, a secret without `whsec_` was used as raw bytes and unpadded base64 after `whsec_` silently fell
/// back to raw bytes: signatures made by the official libraries with those secrets answered 401.
#[test]
fn standard_secret_is_decoded_with_or_without_prefix_and_padding() {
    // One key, written four ways; the signature is made with the key bytes, as every official library does.
    let key = b"rotated-secret-2026";
    let mut mac = HmacSha256::new_from_slice(key).expect("key");
    mac.update(format!("msg_1.{NOW}.").as_bytes());
    mac.update(BODY);
    let signature = format!("v1,{}", STANDARD.encode(mac.finalize().into_bytes()));
    for secret in [
        "whsec_cm90YXRlZC1zZWNyZXQtMjAyNg==",
        "whsec_cm90YXRlZC1zZWNyZXQtMjAyNg",
        "cm90YXRlZC1zZWNyZXQtMjAyNg==",
        "cm90YXRlZC1zZWNyZXQtMjAyNg",
    ] {
        let h = headers(&[
            ("webhook-id", "msg_1".to_string()),
            ("webhook-timestamp", NOW.to_string()),
            ("webhook-signature", signature.clone()),
        ]);
        assert!(verifier(&[secret]).verify_generic(&h, BODY, NOW).is_ok(), "{secret}");
    }
}

#[test]
fn standard_webhooks_signature_is_accepted_within_tolerance_both_ways() {
    let v = verifier(&["whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"]);
    for skew in [-299, 0, 299] {
        let h = standard_headers("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "msg_1", NOW + skew, BODY);
        assert!(v.verify_generic(&h, BODY, NOW).is_ok(), "skew {skew}");
    }
}

#[test]
fn standard_webhooks_stale_or_future_timestamp_is_rejected() {
    let secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
    let v = verifier(&[secret]);
    for skew in [-301, 301, -86_400] {
        let h = standard_headers(secret, "msg_1", NOW + skew, BODY);
        assert!(matches!(v.verify_generic(&h, BODY, NOW), Err(ApiError::StaleTimestamp)), "skew {skew}");
    }
}

#[test]
fn truncated_empty_and_wrong_signatures_are_rejected() {
    let secret = "whsec_czNjcmV0";
    let v = verifier(&[secret]);
    let good = sign::standard(secret, "msg_1", NOW, BODY);
    let truncated = good[..good.len() - 8].to_string();
    for bad in [truncated, "v1,".to_string(), "v1,AAAA".to_string(), sign::standard("b3RoZXI", "msg_1", NOW, BODY)] {
        let h = headers(&[
            ("webhook-id", "msg_1".to_string()),
            ("webhook-timestamp", NOW.to_string()),
            ("webhook-signature", bad.clone()),
        ]);
        assert!(matches!(v.verify_generic(&h, BODY, NOW), Err(ApiError::InvalidSignature)), "{bad}");
    }
    // A body changed after signing.
    let h = standard_headers(secret, "msg_1", NOW, BODY);
    assert!(matches!(v.verify_generic(&h, b"{}", NOW), Err(ApiError::InvalidSignature)));
}

#[test]
fn github_signature_accepts_right_and_rejects_truncated() {
    let v = verifier_with(&[], &["gh-secret"]);
    let good = sign::hex_sha256("gh-secret", BODY);
    assert!(v.verify_generic(&headers(&[("x-hub-signature-256", good.clone())]), BODY, NOW).is_ok());
    for bad in [good[..good.len() - 2].to_string(), "sha256=".to_string(), "sha1=abcd".to_string(), good.to_uppercase()]
    {
        let result = v.verify_generic(&headers(&[("x-hub-signature-256", bad.clone())]), BODY, NOW);
        assert!(matches!(result, Err(ApiError::InvalidSignature)), "{bad}");
    }
}

#[test]
fn rotation_accepts_either_secret_of_each_scheme() {
    let standard = ["whsec_b2xkLXNlY3JldA==", "bmV3LXNlY3JldA"];
    let raw = ["old-secret", "new-secret"];
    let v = verifier_with(&standard, &raw);
    for secret in raw {
        let h = headers(&[("x-hub-signature-256", sign::hex_sha256(secret, BODY))]);
        assert!(v.verify_generic(&h, BODY, NOW).is_ok());
    }
    for secret in standard {
        let h = standard_headers(secret, "msg_2", NOW, BODY);
        assert!(v.verify_generic(&h, BODY, NOW).is_ok());
    }
    let h = headers(&[("x-hub-signature-256", sign::hex_sha256("retired-secret", BODY))]);
    assert!(matches!(v.verify_generic(&h, BODY, NOW), Err(ApiError::InvalidSignature)));
}

#[test]
fn a_secret_verifies_only_its_own_scheme() {
    // "old-secret" written as a raw secret is not a Standard Webhooks key, and the decoded standard key is not a
    // GitHub one: each setting keys its own scheme.
    let v = verifier_with(&["whsec_b2xkLXNlY3JldA=="], &[]);
    let h = headers(&[("x-hub-signature-256", sign::hex_sha256("whsec_b2xkLXNlY3JldA==", BODY))]);
    assert!(matches!(v.verify_generic(&h, BODY, NOW), Err(ApiError::InvalidSignature)));
    let v = verifier_with(&[], &["b2xkLXNlY3JldA=="]);
    let h = standard_headers("b2xkLXNlY3JldA==", "msg_3", NOW, BODY);
    assert!(matches!(v.verify_generic(&h, BODY, NOW), Err(ApiError::InvalidSignature)));
}

#[test]
fn missing_signature_is_reported_as_missing() {
    let v = verifier_with(&["cw"], &["s"]);
    assert!(matches!(v.verify_generic(&HeaderMap::new(), BODY, NOW), Err(ApiError::MissingSignature)));
    assert!(matches!(v.verify_discourse(&HeaderMap::new(), BODY), Err(ApiError::MissingSignature)));
}

#[test]
fn discourse_signature_round_trips() {
    let v = verifier_with(&[], &["discourse-secret"]);
    let h = headers(&[("x-discourse-event-signature", sign::hex_sha256("discourse-secret", BODY))]);
    assert!(v.verify_discourse(&h, BODY).is_ok());
    let h = headers(&[("x-discourse-event-signature", sign::hex_sha256("nope", BODY))]);
    assert!(matches!(v.verify_discourse(&h, BODY), Err(ApiError::InvalidSignature)));
}
