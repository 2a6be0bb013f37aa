//! Delivery through Automation Anywhere bots (Control Room API).
//!
//! 1. `POST {url}/v1/authentication` with `{"username","apiKey"}` returns a token, valid 20 minutes: it is cached and
//!    renewed two minutes before it expires, and renewed once more when the Control Room answers 401.
//! 2. `POST {url}/v3/automations/deploy` with `X-Authorization: <token>` and
//!    `{"fileId": <bot id>, "runAsUserIds": [...], "botInput": {...}}` starts the channel's bot. The digest travels as
//!    typed bot input variables (`{"type":"STRING","string":...}`), with the digest id so the bot can drop a repeat.
//!    The answer's `deploymentId` is kept as the delivery's remote id.

use std::time::{Duration, Instant};

use serde_json::json;
use tokio::sync::Mutex;

use super::{Delivered, DeliveryError, retry_after};
use crate::render::Rendered;

/// Control Room tokens live 20 minutes; renew them a little before.
const TOKEN_LIFETIME: Duration = Duration::from_secs(18 * 60);

pub struct ControlRoom {
    pub url: String,
    pub username: String,
    pub api_key: String,
    pub run_as_user_ids: Vec<i64>,
    pub http: reqwest::Client,
    token: Mutex<Option<(String, Instant)>>,
}

/// The bot of one channel on a Control Room.
pub struct AaBot {
    pub control_room: std::sync::Arc<ControlRoom>,
    pub file_id: i64,
    pub recipients: String,
    pub from: String,
}

impl ControlRoom {
    pub fn new(url: &str, username: &str, api_key: &str, run_as_user_ids: Vec<i64>, http: reqwest::Client) -> Self {
        Self {
            url: url.trim_end_matches('/').to_string(),
            username: username.to_string(),
            api_key: api_key.to_string(),
            run_as_user_ids,
            http,
            token: Mutex::new(None),
        }
    }

    async fn token(&self, renew: bool) -> Result<String, DeliveryError> {
        let mut cached = self.token.lock().await;
        if !renew
            && let Some((token, at)) = cached.as_ref()
            && at.elapsed() < TOKEN_LIFETIME
        {
            return Ok(token.clone());
        }
        let response = self
            .http
            .post(format!("{}/v1/authentication", self.url))
            .json(&json!({"username": self.username, "apiKey": self.api_key}))
            .send()
            .await
            .map_err(|e| DeliveryError::from_request(&e))?;
        let status = response.status();
        if !status.is_success() {
            let wait = retry_after(response.headers());
            return Err(DeliveryError::from_status(status, wait, "Control Room authentication"));
        }
        let body: serde_json::Value = response
            .json()
            .await
            .map_err(|_| DeliveryError::transient("Control Room authentication: answer is not JSON"))?;
        let token = body["token"]
            .as_str()
            .filter(|t| !t.is_empty())
            .ok_or_else(|| DeliveryError::Permanent("Control Room authentication: no token in the answer".into()))?
            .to_string();
        *cached = Some((token.clone(), Instant::now()));
        Ok(token)
    }
}

impl AaBot {
    pub async fn deliver(&self, channel: &str, digest: &Rendered) -> Result<Delivered, DeliveryError> {
        let text = |value: &str| json!({"type": "STRING", "string": value});
        let body = json!({
            "fileId": self.file_id,
            "runAsUserIds": self.control_room.run_as_user_ids,
            "botInput": {
                "digestId": text(&digest.digest_id.to_string()),
                "channel": text(channel),
                "subject": text(&digest.subject),
                "htmlBody": text(&digest.html),
                "textBody": text(&digest.text),
                "adaptiveCard": text(&digest.cards.first().map(ToString::to_string).unwrap_or_default()),
                "adaptiveCards": text(&serde_json::Value::from(digest.cards.clone()).to_string()),
                "recipients": text(&self.recipients),
                "sender": text(&self.from),
                "detectionCount": text(&digest.content.digest.count.to_string()),
            },
        });
        let mut renewed = false;
        loop {
            let token = self.control_room.token(renewed).await?;
            let response = self
                .control_room
                .http
                .post(format!("{}/v3/automations/deploy", self.control_room.url))
                .header("X-Authorization", token)
                .json(&body)
                .send()
                .await
                .map_err(|e| DeliveryError::from_request(&e))?;
            let status = response.status();
            if status == reqwest::StatusCode::UNAUTHORIZED && !renewed {
                tracing::info!("Control Room token refused; authenticating again");
                renewed = true;
                continue;
            }
            if !status.is_success() {
                let wait = retry_after(response.headers());
                return Err(DeliveryError::from_status(status, wait, "Control Room deploy"));
            }
            let answer: serde_json::Value = response.json().await.unwrap_or_default();
            let deployment = answer["deploymentId"].as_str().map(str::to_owned);
            return Ok(Delivered { remote_id: deployment });
        }
    }
}
