//! `POST /webhooks/discourse` body parsing: arbitrary bytes (at most the 64 KiB the route reads) through
//! `ingest_api::payload::discourse::parse`, with the default field configuration (user field "1", stored as
//! "Job Title") and the event headers Discourse sends.
//!
//! Properties, besides "never panics": `user_updated` and `user_created` read a body the same way; an event type we
//! do not watch never yields an event; an accepted event is deduplicated by the body's hash, has no old value, a
//! non-empty member id and a title that is absent or non-blank, within its limit and without NUL.

#![no_main]

use actix_web::http::header::{HeaderMap, HeaderName, HeaderValue};
use ingest_api::error::ApiError;
use ingest_api::payload::discourse::{self, DiscourseFieldConfig};
use ingest_api::payload::{DedupeKey, Parsed, Source};
use libfuzzer_sys::fuzz_target;

const CONFIG: DiscourseFieldConfig<'static> = DiscourseFieldConfig { field_id: "1", profile_field_name: "Job Title" };

fn headers(event: &'static str) -> HeaderMap {
    let mut map = HeaderMap::new();
    map.insert(HeaderName::from_static("x-discourse-event"), HeaderValue::from_static(event));
    map.insert(HeaderName::from_static("x-discourse-event-id"), HeaderValue::from_static("7"));
    map
}

fuzz_target!(|body: &[u8]| {
    let updated = discourse::parse(&headers("user_updated"), body, &CONFIG);
    let created = discourse::parse(&headers("user_created"), body, &CONFIG);
    assert_eq!(format!("{updated:?}"), format!("{created:?}"), "both user events read a body the same way");

    match &updated {
        Ok(Parsed::Event(event)) => {
            assert_eq!(event.source, Source::Discourse);
            assert_eq!(event.dedupe, DedupeKey::body_hash(body), "Discourse deliveries are deduplicated by body hash");
            assert_eq!(event.profile_field, "Job Title");
            assert!(!event.check_registry);
            assert_eq!(event.old_value, None, "Discourse sends no old value");
            assert!(!event.user_id.is_empty() && event.user_id.chars().count() <= 128 && !event.user_id.contains('\0'));
            if let Some(title) = &event.value {
                assert!(!title.trim().is_empty(), "a blank title is stored as no title");
                assert!(title.chars().count() <= 1024 && !title.contains('\0'));
            }
            if let Some(name) = &event.username {
                assert!(name.chars().count() <= 255 && !name.contains('\0'));
            }
        }
        Ok(Parsed::Ignored(_)) => {}
        Err(error) => {
            assert!(matches!(error, ApiError::MalformedJson(_) | ApiError::InvalidField(_)), "unexpected {error:?}");
        }
    }

    // An event type we do not watch: ignored once the body is JSON, never stored.
    match discourse::parse(&headers("post_created"), body, &CONFIG) {
        Ok(Parsed::Ignored(_)) => assert!(serde_json::from_slice::<serde_json::Value>(body).is_ok()),
        Err(ApiError::MalformedJson(_)) => {}
        other => panic!("an unwatched event type gave {other:?}"),
    }
    // No event header at all: refused before the body is read.
    assert!(matches!(discourse::parse(&HeaderMap::new(), body, &CONFIG), Err(ApiError::InvalidField(_))));
});
