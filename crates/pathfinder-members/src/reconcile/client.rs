//! The two calls of Discourse's admin API that reconciliation makes, paced and with 429 honoured.
//!
//! Checked against Discourse's source (discourse/discourse; line numbers of the versions read: users_controller.rb
//! at 00ec81dd, admin_user_list_serializer.rb at 000ef5e5, admin_detailed_user_serializer.rb at 2499b565, the others
//! at a recent main):
//! - `GET /admin/users/list/active.json?page=N&order=created&asc=true` (config/routes.rb: `get "list/:query" =>
//!   "users#index"` in `resources :users` of the admin namespace). `Admin::UsersController#index`
//!   (app/controllers/admin/users_controller.rb) renders `AdminUserIndexQuery.new(params).find_users` with
//!   `AdminUserListSerializer` (`index`, lines 32-42): a JSON array of users (`id`, `username`, `staged`, ...) and
//!   **no `user_fields`** (app/serializers/admin_user_list_serializer.rb, the attributes at lines 4-28).
//!   `find_users(limit = 100)` pages by `page` (1-based, `offset((page - 1) * 100)`; lib/admin_user_index_query.rb
//!   lines 40-44); the query `active` adds no filter (`filter_by_query_classification` has no case for it);
//!   `order=created` with `asc` sorts by `created_at ASC NULLS LAST` (`SORTABLE_MAPPING`, lines 19-33, and
//!   `initialize_query_with_order`, lines 50-57), so members who join during a pass land on
//!   later pages instead of shifting the pages still to read (the default order of `active`, `last_seen_at DESC`,
//!   moves with every visit). `show_emails` is never sent: we need no email, and Discourse logs a staff action per
//!   list read with it.
//! - `GET /admin/users/{id}.json` (`get "users/:id.json" => "users#show"`; `show`, lines 44-54):
//!   `AdminDetailedUserSerializer`, root `false`, whose `user_fields` (attribute at line 23) is
//!   `{"<field id>": value-or-null}` for every user field (`User#user_fields` in app/models/user.rb:
//!   `field_ids.map { |fid| [fid.to_s, custom_fields["user_field_#{fid}"]] }.to_h`). As the list has
//!   no user fields, each member costs one such call; they are paced to `requests_per_minute`.
//! - Authentication: headers `Api-Key` and `Api-Username` (lib/auth/default_current_user_provider.rb,
//!   `HEADER_API_KEY`, `HEADER_API_USERNAME`, lines 29-30; `lookup_api_user` returns no user for a wrong key or
//!   username and `current_user` raises `Discourse::InvalidAccess`, `invalid_api_credentials`); answered 403
//!   `{"errors":[...],"error_type":"invalid_access"}`.
//! - Rate limit: admin API requests are limited per minute (`admin_api_key_limiter`, `max_admin_api_reqs_per_minute`,
//!   default 60, config/discourse_defaults.conf); an exceeded limit raises `RateLimiter::LimitExceeded`, answered 429
//!   with a `Retry-After` header and `{"errors":[...],"error_type":"rate_limit","extras":{"wait_seconds":N}}`
//!   (app/controllers/application_controller.rb, `rescue_from RateLimiter::LimitExceeded`); the per-IP limiter of
//!   lib/middleware/request_tracker.rb answers 429 with `Retry-After` and a plain-text body. We wait `Retry-After`
//!   (else `extras.wait_seconds`, else a minute) and ask again.
//!
//! The API key is sent in a header marked sensitive and appears in no log or error.

use std::time::Duration;

use pathfinder_core::db::describe;
use reqwest::header::{HeaderMap, HeaderValue};
use serde::Deserialize;
use serde_json::Value;
use tokio::sync::Mutex;
use tokio::time::Instant;

use super::ReconcileError;

/// Members per page of `GET /admin/users/list/active.json` (`find_users(limit = 100)`).
pub const PAGE_SIZE: usize = 100;
/// 429 answers in a row for one request before the pass gives up until its next try.
const MAX_RATE_LIMITED: u32 = 8;
/// Longest time one request may spend waiting out 429s before the pass gives up until its next try (the cursor
/// holds); kept well under the pass's lease ([`super::LEASE`]), which is renewed between requests.
const MAX_WAIT: Duration = Duration::from_secs(8 * 60);
/// Wait after a 429 that names no time.
const DEFAULT_WAIT: Duration = Duration::from_secs(60);

/// One member of a list page.
#[derive(Debug, Clone, Deserialize)]
pub struct ListedUser {
    pub id: i64,
    #[serde(default)]
    pub staged: bool,
}

/// A member's detail: what reconciliation reads of it.
#[derive(Debug, Clone, Deserialize)]
pub struct UserDetail {
    pub id: i64,
    pub username: Option<String>,
    /// Absent when the forum defines no user field.
    #[serde(default)]
    pub user_fields: Option<serde_json::Map<String, Value>>,
}

impl UserDetail {
    /// The job title in user field `field_id`: `None` when absent, null, not text, or blank.
    pub fn title(&self, field_id: &str) -> Option<String> {
        self.user_fields
            .as_ref()
            .and_then(|fields| fields.get(field_id))
            .and_then(Value::as_str)
            .filter(|title| !title.trim().is_empty())
            .map(str::to_owned)
    }
}

pub struct DiscourseClient {
    http: reqwest::Client,
    base_url: String,
    interval: Duration,
    next_slot: Mutex<Instant>,
}

impl DiscourseClient {
    pub fn new(
        base_url: &str,
        api_key: &str,
        api_username: &str,
        requests_per_minute: u32,
        timeout: Duration,
    ) -> anyhow::Result<Self> {
        let mut headers = HeaderMap::new();
        let mut key = HeaderValue::from_str(api_key.trim())
            .map_err(|_| anyhow::anyhow!("PATHFINDER_DISCOURSE__API_KEY is not a valid header value"))?;
        key.set_sensitive(true);
        headers.insert("Api-Key", key);
        headers.insert(
            "Api-Username",
            HeaderValue::from_str(api_username.trim())
                .map_err(|_| anyhow::anyhow!("PATHFINDER_DISCOURSE__API_USERNAME is not a valid header value"))?,
        );
        headers.insert("Accept", HeaderValue::from_static("application/json"));
        let http = reqwest::Client::builder().default_headers(headers).timeout(timeout).build()?;
        Ok(Self {
            http,
            base_url: base_url.trim_end_matches('/').to_string(),
            interval: Duration::from_secs(60) / requests_per_minute.max(1),
            next_slot: Mutex::new(Instant::now()),
        })
    }

    /// Page `page` (1-based) of every member, oldest account first.
    pub async fn list_page(&self, page: i32) -> Result<Vec<ListedUser>, ReconcileError> {
        let url = format!("{}/admin/users/list/active.json?page={page}&order=created&asc=true", self.base_url);
        let body = self.get(&url).await?.ok_or_else(|| ReconcileError::Status("404 on the user list".into()))?;
        serde_json::from_slice(&body).map_err(|e| ReconcileError::Malformed(format!("user list page {page}: {e}")))
    }

    /// One member's detail; `None` when the member no longer exists (404).
    pub async fn user(&self, id: i64) -> Result<Option<UserDetail>, ReconcileError> {
        let url = format!("{}/admin/users/{id}.json", self.base_url);
        let Some(body) = self.get(&url).await? else { return Ok(None) };
        serde_json::from_slice(&body).map(Some).map_err(|e| ReconcileError::Malformed(format!("user {id}: {e}")))
    }

    /// GET with pacing and 429 honoured; `None` on 404.
    async fn get(&self, url: &str) -> Result<Option<Vec<u8>>, ReconcileError> {
        let mut rate_limited = 0;
        let mut waited = Duration::ZERO;
        loop {
            self.wait_for_slot().await;
            let response =
                self.http.get(url).send().await.map_err(|e| ReconcileError::Unreachable(describe(&e.without_url())))?;
            let status = response.status();
            if status == reqwest::StatusCode::TOO_MANY_REQUESTS {
                rate_limited += 1;
                let header = retry_after_header(response.headers());
                let body = response.bytes().await.unwrap_or_default();
                let wait = header.or_else(|| wait_seconds(&body)).unwrap_or(DEFAULT_WAIT);
                waited += wait;
                if rate_limited > MAX_RATE_LIMITED || waited > MAX_WAIT {
                    return Err(ReconcileError::RateLimited(wait.as_secs()));
                }
                tracing::info!(wait_secs = wait.as_secs(), "discourse answered 429; waiting as it asks");
                self.push_next_slot(wait).await;
                continue;
            }
            if status == reqwest::StatusCode::NOT_FOUND {
                return Ok(None);
            }
            if status == reqwest::StatusCode::FORBIDDEN || status == reqwest::StatusCode::UNAUTHORIZED {
                return Err(ReconcileError::Refused(status.as_u16()));
            }
            if !status.is_success() {
                return Err(ReconcileError::Status(format!("HTTP {status}")));
            }
            let body = response.bytes().await.map_err(|e| ReconcileError::Unreachable(describe(&e.without_url())))?;
            return Ok(Some(body.to_vec()));
        }
    }

    /// Sleeps until the next request may go (one per `interval`).
    async fn wait_for_slot(&self) {
        let mut next = self.next_slot.lock().await;
        let now = Instant::now();
        if *next > now {
            tokio::time::sleep_until(*next).await;
        }
        *next = Instant::now().max(*next) + self.interval;
    }

    async fn push_next_slot(&self, wait: Duration) {
        let mut next = self.next_slot.lock().await;
        *next = (*next).max(Instant::now() + wait);
    }
}

/// `Retry-After` in seconds (Discourse sends whole seconds).
fn retry_after_header(headers: &HeaderMap) -> Option<Duration> {
    let text = headers.get(reqwest::header::RETRY_AFTER)?.to_str().ok()?;
    text.trim().parse::<f64>().ok().filter(|s| s.is_finite() && *s >= 0.0).map(Duration::from_secs_f64)
}

/// `extras.wait_seconds` of Discourse's JSON 429 body.
fn wait_seconds(body: &[u8]) -> Option<Duration> {
    let json: Value = serde_json::from_slice(body).ok()?;
    let seconds = json.pointer("/extras/wait_seconds")?.as_f64()?;
    (seconds.is_finite() && seconds >= 0.0).then(|| Duration::from_secs_f64(seconds))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_wait_comes_from_retry_after_then_wait_seconds() {
        let mut headers = HeaderMap::new();
        headers.insert(reqwest::header::RETRY_AFTER, HeaderValue::from_static("7"));
        assert_eq!(retry_after_header(&headers), Some(Duration::from_secs(7)));
        let body = br#"{"errors":["slow down"],"error_type":"rate_limit","extras":{"wait_seconds":12}}"#;
        assert_eq!(wait_seconds(body), Some(Duration::from_secs(12)));
        assert_eq!(wait_seconds(b"Slow down, too many requests from this IP address"), None);
    }

    #[test]
    fn the_title_is_the_configured_field_when_it_holds_text() {
        let detail: UserDetail =
            serde_json::from_str(r#"{"id":7,"username":"ada","user_fields":{"1":"CEO","2":null,"3":"  "}}"#)
                .expect("detail");
        assert_eq!(detail.title("1").as_deref(), Some("CEO"));
        assert_eq!(detail.title("2"), None);
        assert_eq!(detail.title("3"), None);
        assert_eq!(detail.title("9"), None);
        let bare: UserDetail = serde_json::from_str(r#"{"id":7,"username":"ada"}"#).expect("detail");
        assert_eq!(bare.title("1"), None);
    }
}
