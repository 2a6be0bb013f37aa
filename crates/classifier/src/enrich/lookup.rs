//! One member lookup: fill the URL template, GET it with retries, read the fields by JSON Pointer.

use std::time::Duration;

use backon::{ExponentialBuilder, Retryable};
use pathfinder_core::settings::EnrichmentSettings;

/// What a lookup found (any field may be missing).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Profile {
    pub email: Option<String>,
    pub company: Option<String>,
    pub profile_url: Option<String>,
}

#[derive(Debug, Clone, thiserror::Error)]
pub enum LookupError {
    /// Timeouts, connection failures, 5xx and 429: worth trying again.
    #[error("lookup failed, will retry: {0}")]
    Transient(String),
    /// Any other answer: no such member, a bad answer.
    #[error("lookup failed: {0}")]
    Permanent(String),
}

impl LookupError {
    pub fn is_transient(&self) -> bool {
        matches!(self, Self::Transient(_))
    }
}

pub async fn lookup(
    http: &reqwest::Client,
    settings: &EnrichmentSettings,
    user_id: &str,
    username: Option<&str>,
) -> Result<Profile, LookupError> {
    let url = fill_template(&settings.lookup_url, user_id, username);
    let fetch = || fetch_json(http, settings, &url);
    let json = fetch
        .retry(ExponentialBuilder::default().with_min_delay(Duration::from_millis(100)).with_max_times(2).with_jitter())
        .when(LookupError::is_transient)
        .await?;
    let read = |pointer: &str| {
        (!pointer.is_empty())
            .then(|| json.pointer(pointer))
            .flatten()
            .and_then(|v| v.as_str())
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .map(str::to_owned)
    };
    Ok(Profile {
        email: read(&settings.email_pointer),
        company: read(&settings.company_pointer),
        profile_url: (!settings.profile_url_template.is_empty())
            .then(|| fill_template(&settings.profile_url_template, user_id, username)),
    })
}

async fn fetch_json(
    http: &reqwest::Client,
    settings: &EnrichmentSettings,
    url: &str,
) -> Result<serde_json::Value, LookupError> {
    let mut request = http.get(url).header("accept", "application/json");
    if !settings.api_key.is_empty() {
        request = request.header("Api-Key", &settings.api_key);
    }
    if !settings.api_username.is_empty() {
        request = request.header("Api-Username", &settings.api_username);
    }
    let response = request.send().await.map_err(|e| LookupError::Transient(without_url(&e)))?;
    let status = response.status();
    if status.is_server_error() || status.as_u16() == 429 {
        return Err(LookupError::Transient(format!("HTTP {status}")));
    }
    if !status.is_success() {
        return Err(LookupError::Permanent(format!("HTTP {status}")));
    }
    let body = response.bytes().await.map_err(|e| LookupError::Transient(without_url(&e)))?;
    serde_json::from_slice(&body).map_err(|e| LookupError::Permanent(format!("answer is not JSON: {e}")))
}

/// The error without its URL (which holds a member's username).
fn without_url(error: &reqwest::Error) -> String {
    let kind = if error.is_timeout() {
        "timed out"
    } else if error.is_connect() {
        "cannot connect"
    } else {
        "request failed"
    };
    kind.to_string()
}

/// `{username}` and `{userId}` replaced by their percent-encoded values.
pub fn fill_template(template: &str, user_id: &str, username: Option<&str>) -> String {
    template.replace("{userId}", &encode(user_id)).replace("{username}", &encode(username.unwrap_or(user_id)))
}

fn encode(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for byte in value.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~') {
            out.push(byte as char);
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::fill_template;

    #[test]
    fn templates_encode_their_values() {
        assert_eq!(
            fill_template("https://f.example/u/{username}.json", "7", Some("ada l")),
            "https://f.example/u/ada%20l.json"
        );
        assert_eq!(
            fill_template("https://f.example/admin/users/{userId}.json", "7", None),
            "https://f.example/admin/users/7.json"
        );
        assert_eq!(fill_template("https://f.example/u/{username}", "../x", None), "https://f.example/u/..%2Fx");
    }
}
