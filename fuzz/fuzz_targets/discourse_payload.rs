//! `POST /webhooks/discourse` body parsing: arbitrary bytes (at most the 64 KiB the route reads) through
//! `ingest_api::payload::discourse::parse`, with the default field configuration (user field "1", stored as
//! "Job Title") and the event headers Discourse sends.
//!
//! Properties, besides "never panics": `user_updated` and `user_created` read a body the same way; an event type we
//! do not watch never yields an event; an accepted event is deduplicated by the body's hash, has no old value, a
//! non-empty member id and a title that is absent or non-blank, within its limit and without NUL. Erasing is off by
//! default, so no body erases; with `erase_on_delete`, `user_destroyed` either erases one valid member id or is
//! refused, and a `user_updated` either erases or reads exactly as without erasing.

#![no_main]

use actix_web::http::header::{HeaderMap, HeaderName, HeaderValue};
use ingest_api::error::ApiError;
use ingest_api::payload::discourse::{self, DiscourseFieldConfig};
use ingest_api::payload::{DedupeKey, Parsed, Source};
use libfuzzer_sys::fuzz_target;

const CONFIG: DiscourseFieldConfig<'static> =
    DiscourseFieldConfig { field_id: "1", profile_field_name: "Job Title", erase_on_delete: false };
const ERASING: DiscourseFieldConfig<'static> =
    DiscourseFieldConfig { field_id: "1", profile_field_name: "Job Title", erase_on_delete: true };

fn is_valid_member_id(id: &str) -> bool {
    !id.is_empty() && id.chars().count() <= 128 && !id.contains('\0')
}

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
            assert!(is_valid_member_id(&event.user_id));
            if let Some(title) = &event.value {
                assert!(!title.trim().is_empty(), "a blank title is stored as no title");
                assert!(title.chars().count() <= 1024 && !title.contains('\0'));
            }
            if let Some(name) = &event.username {
                assert!(name.chars().count() <= 255 && !name.contains('\0'));
            }
        }
        Ok(Parsed::Ignored(_)) => {}
        Ok(Parsed::Erase(..)) => panic!("erasing is off by default, yet a user_updated body erased"),
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
    // Erasing on: user_destroyed erases one valid member of Discourse, or is refused; never stores an event.
    match discourse::parse(&headers("user_destroyed"), body, &ERASING) {
        Ok(Parsed::Erase(source, id)) => assert!(source == Source::Discourse && is_valid_member_id(&id)),
        Err(error) => assert!(matches!(error, ApiError::MalformedJson(_) | ApiError::InvalidField(_)), "{error:?}"),
        other => panic!("user_destroyed with erasing on gave {other:?}"),
    }
    // ... and a user_updated erases an anonymised member, else reads exactly as with erasing off.
    match discourse::parse(&headers("user_updated"), body, &ERASING) {
        Ok(Parsed::Erase(source, id)) => assert!(source == Source::Discourse && is_valid_member_id(&id)),
        other => assert_eq!(format!("{other:?}"), format!("{updated:?}"), "erasing changed a non-anonymised read"),
    }
    // No event header at all: refused before the body is read.
    assert!(matches!(discourse::parse(&HeaderMap::new(), body, &CONFIG), Err(ApiError::InvalidField(_))));
});
