//! The generic seed format, `POST /webhooks/community`:
//! `{"userId": string|number, "username": string?, "profileField": string, "value": string|null,
//!   "oldValue": string|null}`. Unknown keys are ignored; `oldValue` may be left out (read as null).

use actix_web::http::header::HeaderMap;

use super::fields::{self, MAX_FIELD_NAME, MAX_USERNAME, MAX_VALUE};
use super::{DedupeKey, NewEvent, Parsed, Source};
use crate::error::ApiError;

/// Longest sender delivery id we accept as a dedupe key.
const MAX_DELIVERY_ID: usize = 200;

pub fn parse(headers: &HeaderMap, body: &[u8]) -> Result<Parsed, ApiError> {
    let json = fields::parse_json(body)?;
    let object = json.as_object().ok_or_else(|| fields::invalid("the body must be a JSON object".into()))?;
    if !object.contains_key("value") {
        return Err(fields::invalid("value is required (a string, or null when the field was cleared)".into()));
    }
    let event = NewEvent {
        source: Source::Community,
        dedupe: dedupe_key(headers, body),
        user_id: fields::user_id(object.get("userId"), "userId")?,
        username: fields::optional_string(object.get("username"), "username", MAX_USERNAME)?,
        profile_field: fields::required_string(object.get("profileField"), "profileField", MAX_FIELD_NAME)?
            .trim()
            .to_string(),
        value: fields::optional_string(object.get("value"), "value", MAX_VALUE)?,
        old_value: fields::optional_string(object.get("oldValue"), "oldValue", MAX_VALUE)?,
        check_registry: true,
    };
    Ok(Parsed::Event(event))
}

/// The sender's delivery id when it gives one, else the body hash.
fn dedupe_key(headers: &HeaderMap, body: &[u8]) -> DedupeKey {
    ["webhook-id", "x-github-delivery"]
        .iter()
        .filter_map(|name| headers.get(*name).and_then(|v| v.to_str().ok()))
        .map(str::trim)
        .find(|id| !id.is_empty() && id.len() <= MAX_DELIVERY_ID)
        .map(|id| DedupeKey::DeliveryId(id.to_string()))
        .unwrap_or_else(|| DedupeKey::body_hash(body))
}
