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

fn verifier(secrets: &[&str]) -> Verifier {
    Verifier::new(&secrets.iter().map(|s| s.to_string()).collect::<Vec<_>>(), 300)
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
    let secret = "s3cret";
    let v = verifier(&[secret]);
    let good = sign::standard(secret, "msg_1", NOW, BODY);
    let truncated = good[..good.len() - 8].to_string();
    for bad in [truncated, "v1,".to_string(), "v1,AAAA".to_string(), sign::standard("other", "msg_1", NOW, BODY)] {
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
    let v = verifier(&["gh-secret"]);
    let good = sign::hex_sha256("gh-secret", BODY);
    assert!(v.verify_generic(&headers(&[("x-hub-signature-256", good.clone())]), BODY, NOW).is_ok());
    for bad in [good[..good.len() - 2].to_string(), "sha256=".to_string(), "sha1=abcd".to_string(), good.to_uppercase()]
    {
        let result = v.verify_generic(&headers(&[("x-hub-signature-256", bad.clone())]), BODY, NOW);
        assert!(matches!(result, Err(ApiError::InvalidSignature)), "{bad}");
    }
}

#[test]
fn rotation_accepts_either_secret() {
    let v = verifier(&["old-secret", "new-secret"]);
    for secret in ["old-secret", "new-secret"] {
        let h = headers(&[("x-hub-signature-256", sign::hex_sha256(secret, BODY))]);
        assert!(v.verify_generic(&h, BODY, NOW).is_ok());
        let h = standard_headers(secret, "msg_2", NOW, BODY);
        assert!(v.verify_generic(&h, BODY, NOW).is_ok());
    }
    let h = headers(&[("x-hub-signature-256", sign::hex_sha256("retired-secret", BODY))]);
    assert!(matches!(v.verify_generic(&h, BODY, NOW), Err(ApiError::InvalidSignature)));
}

#[test]
fn missing_signature_is_reported_as_missing() {
    let v = verifier(&["s"]);
    assert!(matches!(v.verify_generic(&HeaderMap::new(), BODY, NOW), Err(ApiError::MissingSignature)));
    assert!(matches!(v.verify_discourse(&HeaderMap::new(), BODY), Err(ApiError::MissingSignature)));
}

#[test]
fn discourse_signature_round_trips() {
    let v = verifier(&["discourse-secret"]);
    let h = headers(&[("x-discourse-event-signature", sign::hex_sha256("discourse-secret", BODY))]);
    assert!(v.verify_discourse(&h, BODY).is_ok());
    let h = headers(&[("x-discourse-event-signature", sign::hex_sha256("nope", BODY))]);
    assert!(matches!(v.verify_discourse(&h, BODY), Err(ApiError::InvalidSignature)));
}
