//! Field-level validation shared by the payload parsers. Every failure names the field.

use serde_json::Value;

use crate::error::ApiError;

/// Longest member id we store.
pub const MAX_USER_ID: usize = 128;
/// Longest username we store.
pub const MAX_USERNAME: usize = 255;
/// Longest profile field name we store.
pub const MAX_FIELD_NAME: usize = 200;
/// Longest title (value / oldValue) we store.
pub const MAX_VALUE: usize = 1024;

/// A member id: a non-empty string or an integer (stored as its decimal text).
pub fn user_id(value: Option<&Value>, name: &str) -> Result<String, ApiError> {
    let id = match value {
        Some(Value::String(s)) => s.trim().to_string(),
        Some(Value::Number(n)) if n.is_u64() || n.is_i64() => n.to_string(),
        Some(Value::Number(_)) => {
            return Err(invalid(format!("{name} must be an integer or a string")));
        }
        None | Some(Value::Null) => return Err(invalid(format!("{name} is required"))),
        Some(_) => return Err(invalid(format!("{name} must be a string or an integer"))),
    };
    if id.is_empty() {
        return Err(invalid(format!("{name} must not be empty")));
    }
    checked_text(id, name, MAX_USER_ID)
}

/// A required, non-empty string.
pub fn required_string(value: Option<&Value>, name: &str, max: usize) -> Result<String, ApiError> {
    match optional_string(value, name, max)? {
        Some(s) if !s.trim().is_empty() => Ok(s),
        Some(_) => Err(invalid(format!("{name} must not be empty"))),
        None => Err(invalid(format!("{name} is required"))),
    }
}

/// A string or null (absent counts as null).
pub fn optional_string(value: Option<&Value>, name: &str, max: usize) -> Result<Option<String>, ApiError> {
    match value {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => checked_text(s.clone(), name, max).map(Some),
        Some(_) => Err(invalid(format!("{name} must be a string or null"))),
    }
}

/// Rejects text PostgreSQL cannot store (NUL) or that is too long.
fn checked_text(text: String, name: &str, max: usize) -> Result<String, ApiError> {
    if text.contains('\0') {
        return Err(invalid(format!("{name} must not contain NUL characters")));
    }
    if text.chars().count() > max {
        return Err(invalid(format!("{name} is longer than {max} characters")));
    }
    Ok(text)
}

pub fn invalid(message: String) -> ApiError {
    ApiError::InvalidField(message)
}

/// Parses the body as JSON (400 when it is not JSON).
pub fn parse_json(body: &[u8]) -> Result<Value, ApiError> {
    serde_json::from_slice(body).map_err(|e| ApiError::MalformedJson(e.to_string()))
}
