//! Webhook signature verification (`ingest_api::signature::Verifier`) over arbitrary headers and body, with fixed
//! secrets: two Standard Webhooks secrets (`whsec_` and bare unpadded base64) and two raw GitHub-style ones (two of
//! each at once, as while rotating).
//!
//! Input, HTTP-like so seeds are readable: header lines `name: value` up to the first empty line ("\n\n"), then the
//! body; without an empty line the whole input is the body. Lines that are not valid headers are skipped.
//!
//! Properties, besides "never panics":
//! - a signature made with `ingest_api::signature::sign` for the fuzzed body (and the fuzzed `webhook-id` when it is
//!   a usable header) always verifies, on both routes and with either secret; one made with another secret never;
//! - a timestamp outside the tolerance is refused as stale, even when signed correctly;
//! - whatever the headers, a delivery that verifies stops verifying once its body changes (the tag binds the body);
//! - with no secret configured, everything is accepted.

#![no_main]

use actix_web::http::header::{HeaderMap, HeaderName, HeaderValue};
use ingest_api::error::ApiError;
use ingest_api::signature::{Verifier, WebhookSecrets, sign};
use libfuzzer_sys::fuzz_target;

/// The Standard Webhooks example secret, and a bare unpadded one (`WEBHOOK_SECRETS`).
const STANDARD_SECRETS: [&str; 2] = ["whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "ZnV6ei1iYXJlLXNlY3JldA"];
/// GitHub-style / Discourse secrets (`WEBHOOK_RAW_SECRETS`).
const RAW_SECRETS: [&str; 2] = ["fuzz-plain-secret", "fuzz-rotated-secret"];
/// "Now" for every check: the seeds' timestamps are near it (2026-09-21).
const NOW: i64 = 1_790_000_000;
/// The service's default `webhook_tolerance_secs`.
const TOLERANCE: i64 = 300;

fuzz_target!(|data: &[u8]| {
    let (headers, body) = split(data);
    let secrets = WebhookSecrets::parse(&STANDARD_SECRETS.join(","), &RAW_SECRETS.join(",")).expect("secrets");
    let verifier = Verifier::new(secrets, TOLERANCE);

    // Arbitrary headers: any verdict, never a panic; an accepted delivery is bound to its body.
    let generic = verifier.verify_generic(&headers, body, NOW);
    let discourse = verifier.verify_discourse(&headers, body);
    let mut other_body = body.to_vec();
    other_body.push(b' ');
    if generic.is_ok() {
        assert!(verifier.verify_generic(&headers, &other_body, NOW).is_err(), "a changed body still verified");
    }
    if discourse.is_ok() {
        assert!(verifier.verify_discourse(&headers, &other_body).is_err(), "a changed body still verified");
    }
    assert!(Verifier::new(WebhookSecrets::default(), TOLERANCE).verify_generic(&headers, body, NOW).is_ok());

    signed_deliveries_verify(&verifier, &headers, body);
});

/// Signs the fuzzed body like a sender would and checks the verifier agrees.
fn signed_deliveries_verify(verifier: &Verifier, fuzzed: &HeaderMap, body: &[u8]) {
    let id = fuzzed
        .get("webhook-id")
        .and_then(|v| v.to_str().ok())
        .filter(|id| !id.is_empty())
        .unwrap_or("msg_fuzz")
        .to_string();
    // A skew within the tolerance, chosen by the input.
    let skew = (body.len() as i64 % (2 * TOLERANCE + 1)) - TOLERANCE;
    for secret in STANDARD_SECRETS {
        let sent_at = NOW + skew;
        let standard = headers(&[
            ("webhook-id", id.clone()),
            ("webhook-timestamp", sent_at.to_string()),
            ("webhook-signature", sign::standard(secret, &id, sent_at, body)),
        ]);
        assert_ok(verifier.verify_generic(&standard, body, NOW), "Standard Webhooks", secret, body);

        let stale_at = NOW - TOLERANCE - 1 - skew.abs();
        let stale = headers(&[
            ("webhook-id", id.clone()),
            ("webhook-timestamp", stale_at.to_string()),
            ("webhook-signature", sign::standard(secret, &id, stale_at, body)),
        ]);
        assert!(matches!(verifier.verify_generic(&stale, body, NOW), Err(ApiError::StaleTimestamp)));
    }
    for secret in RAW_SECRETS {
        let hex = sign::hex_sha256(secret, body);
        let github = headers(&[("x-hub-signature-256", hex.clone())]);
        assert_ok(verifier.verify_generic(&github, body, NOW), "X-Hub-Signature-256", secret, body);
        let discourse = headers(&[("x-discourse-event-signature", hex)]);
        assert_ok(verifier.verify_discourse(&discourse, body), "X-Discourse-Event-Signature", secret, body);
    }

    let wrong = headers(&[
        ("webhook-id", id.clone()),
        ("webhook-timestamp", NOW.to_string()),
        ("webhook-signature", sign::standard("whsec_b3RoZXI=", &id, NOW, body)),
        ("x-discourse-event-signature", sign::hex_sha256("other", body)),
    ]);
    assert!(matches!(verifier.verify_generic(&wrong, body, NOW), Err(ApiError::InvalidSignature)));
    assert!(matches!(verifier.verify_discourse(&wrong, body), Err(ApiError::InvalidSignature)));
}

fn assert_ok(result: Result<(), ApiError>, scheme: &str, secret: &str, body: &[u8]) {
    if let Err(error) = result {
        panic!("{scheme} signed with {secret:?} refused ({error:?}) for body {:?}", String::from_utf8_lossy(body));
    }
}

fn headers(pairs: &[(&'static str, String)]) -> HeaderMap {
    let mut map = HeaderMap::new();
    for (name, value) in pairs {
        let value = HeaderValue::from_str(value).unwrap_or_else(|e| panic!("{name}: {value:?} is not a header: {e}"));
        map.insert(HeaderName::from_static(name), value);
    }
    map
}

/// Header lines up to the first empty line, then the body.
fn split(data: &[u8]) -> (HeaderMap, &[u8]) {
    let Some(end) = data.windows(2).position(|w| w == b"\n\n") else {
        return (HeaderMap::new(), data);
    };
    let mut map = HeaderMap::new();
    for line in data[..end].split(|&b| b == b'\n') {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        let Some(colon) = line.iter().position(|&b| b == b':') else { continue };
        let value = &line[colon + 1..];
        let value = value.strip_prefix(b" ").unwrap_or(value);
        if let (Ok(name), Ok(value)) = (HeaderName::from_bytes(&line[..colon]), HeaderValue::from_bytes(value)) {
            map.append(name, value);
        }
    }
    (map, &data[end + 2..])
}
