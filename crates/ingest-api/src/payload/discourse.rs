//! Discourse's `user_updated` (and `user_created`) webhook, `POST /webhooks/discourse`.
//!
//! Discourse sends the whole user on every save, with no old value: the job title is
//! `user.user_fields["<id>"]`, the id configured as `discourse.job_title_field_id`. Its `X-Discourse-Event-Id`
//! changes on every retry, so deliveries are deduplicated by body hash. Other event types are answered
//! "ignored". Whether the title actually changed is the classifier's business (it compares with user_state).
//!
//! With `erase_on_delete`, `user_destroyed` and a `user_updated` of an anonymised user erase the member: Discourse's
//! UserAnonymizer (app/services/user_anonymizer.rb) renames the user `anon<digits>` and sets the email to
//! `<that name>@...`.

use actix_web::http::header::HeaderMap;
use serde_json::Value;

use super::fields::{self, MAX_USERNAME, MAX_VALUE};
use super::{DedupeKey, NewEvent, Parsed, Source};
use crate::error::ApiError;

/// The Discourse events that carry a member's profile.
const USER_EVENTS: &[&str] = &["user_updated", "user_created"];

pub struct DiscourseFieldConfig<'a> {
    pub field_id: &'a str,
    pub profile_field_name: &'a str,
    pub erase_on_delete: bool,
}

pub fn parse(headers: &HeaderMap, body: &[u8], config: &DiscourseFieldConfig<'_>) -> Result<Parsed, ApiError> {
    let event = headers
        .get("x-discourse-event")
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .ok_or_else(|| fields::invalid("the X-Discourse-Event header is required".into()))?;
    let json = fields::parse_json(body)?;
    if event == "user_destroyed" && config.erase_on_delete {
        let user = json.get("user").and_then(Value::as_object);
        let id = fields::user_id(user.and_then(|u| u.get("id")), "user.id")?;
        return Ok(Parsed::Erase(Source::Discourse, id));
    }
    if !USER_EVENTS.contains(&event) {
        return Ok(Parsed::Ignored("discourse event type not watched"));
    }
    let user =
        json.get("user").and_then(Value::as_object).ok_or_else(|| fields::invalid("user must be an object".into()))?;
    if config.erase_on_delete && is_anonymised(user) {
        return Ok(Parsed::Erase(Source::Discourse, fields::user_id(user.get("id"), "user.id")?));
    }
    let user_fields = match user.get("user_fields") {
        Some(Value::Object(map)) => map,
        // No user fields at all in this payload: we cannot tell the title, so store nothing.
        None | Some(Value::Null) => return Ok(Parsed::Ignored("payload carries no user_fields")),
        Some(_) => return Err(fields::invalid("user.user_fields must be an object".into())),
    };
    // A field the member cleared is absent or null: that is a real "no title now".
    let value = fields::optional_string(user_fields.get(config.field_id), "user.user_fields value", MAX_VALUE)?
        .filter(|v| !v.trim().is_empty());
    Ok(Parsed::Event(NewEvent {
        source: Source::Discourse,
        dedupe: DedupeKey::body_hash(body),
        user_id: fields::user_id(user.get("id"), "user.id")?,
        username: fields::optional_string(user.get("username"), "user.username", MAX_USERNAME)?,
        profile_field: config.profile_field_name.to_string(),
        value,
        old_value: None,
        check_registry: false,
    }))
}

/// Discourse's anonymiser renames a user `anon` + digits and gives them the email `<that name>@<domain>`.
fn is_anonymised(user: &serde_json::Map<String, Value>) -> bool {
    let Some(name) = user.get("username").and_then(Value::as_str) else { return false };
    let anon = name.strip_prefix("anon").is_some_and(|d| !d.is_empty() && d.bytes().all(|b| b.is_ascii_digit()));
    let email_matches = match user.get("email").and_then(Value::as_str) {
        Some(email) => email.strip_prefix(name).is_some_and(|rest| rest.starts_with('@')),
        None => true,
    };
    anon && email_matches
}
