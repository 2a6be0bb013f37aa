//! `POST /webhooks/community` body parsing: arbitrary bytes (at most the 64 KiB the route reads) through
//! `ingest_api::payload::community::parse`, the function the route calls once the body is read and verified.
//!
//! Properties, besides "never panics": an accepted event holds what the stored row needs (non-empty member id of at
//! most 128 characters, trimmed non-empty field name, values within their limits, no NUL), and the dedupe key is the
//! sender's delivery id when one is given, else the SHA-256 of the body; the headers never change anything else.

#![no_main]

use actix_web::http::header::{HeaderMap, HeaderName, HeaderValue};
use ingest_api::error::ApiError;
use ingest_api::payload::community;
use ingest_api::payload::{DedupeKey, NewEvent, Parsed, Source};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|body: &[u8]| {
    let plain = community::parse(&HeaderMap::new(), body);
    let mut with_id = HeaderMap::new();
    with_id.insert(HeaderName::from_static("webhook-id"), HeaderValue::from_static("msg_fuzz"));
    let delivered = community::parse(&with_id, body);

    match (plain, delivered) {
        (Ok(Parsed::Event(event)), Ok(Parsed::Event(other))) => {
            check_event(&event);
            assert_eq!(event.dedupe, DedupeKey::body_hash(body), "no delivery id: the body hash names the delivery");
            assert_eq!(other.dedupe, DedupeKey::DeliveryId("msg_fuzz".into()));
            assert_eq!(NewEvent { dedupe: other.dedupe.clone(), ..event }, other, "headers change only the dedupe key");
            assert!(other.dedupe.storage_key(Source::Community).starts_with("community:id:"));
        }
        (Ok(Parsed::Ignored(reason)), _) | (_, Ok(Parsed::Ignored(reason))) => {
            panic!("the community parser never ignores a body (got {reason:?})")
        }
        (Err(a), Err(b)) => {
            assert!(matches!(a, ApiError::MalformedJson(_) | ApiError::InvalidField(_)), "unexpected error {a:?}");
            assert_eq!(a.to_string(), b.to_string(), "headers do not change the verdict");
            let _ = a.code();
        }
        (a, b) => panic!("headers changed the verdict: {a:?} vs {b:?}"),
    }
});

fn check_event(event: &NewEvent) {
    assert_eq!(event.source, Source::Community);
    assert!(event.check_registry);
    assert!(!event.user_id.is_empty() && event.user_id.chars().count() <= 128, "user id {:?}", event.user_id);
    assert_eq!(event.user_id.trim(), event.user_id, "user id is trimmed");
    assert!(!event.profile_field.is_empty() && event.profile_field.chars().count() <= 200);
    assert_eq!(event.profile_field.trim(), event.profile_field, "field name is trimmed");
    for (text, max) in [
        (Some(&event.user_id), 128),
        (Some(&event.profile_field), 200),
        (event.username.as_ref(), 255),
        (event.value.as_ref(), 1024),
        (event.old_value.as_ref(), 1024),
    ] {
        if let Some(text) = text {
            assert!(!text.contains('\0'), "NUL reached an event: {text:?}");
            assert!(text.chars().count() <= max, "{} characters > {max}", text.chars().count());
        }
    }
    assert!(matches!(&event.dedupe, DedupeKey::BodyHash(h) if h.len() == 64));
}
