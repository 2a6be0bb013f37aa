//! Direct Teams delivery: an Adaptive Card posted to a Teams Workflows (Power Automate) or incoming-webhook URL.
//!
//! Body: `{"type":"message","attachments":[{"contentType":"application/vnd.microsoft.card.adaptive","content":card}]}`.
//! Workflows answer 202; legacy incoming webhooks answer 200 with body "1", and signal throttling with a 200 whose
//! body carries the 429, which is treated like a 429.

use super::{Delivered, DeliveryError, retry_after};
use crate::render::Rendered;

pub struct TeamsWebhook {
    pub url: String,
    pub http: reqwest::Client,
}

impl TeamsWebhook {
    pub async fn deliver(&self, digest: &Rendered) -> Result<Delivered, DeliveryError> {
        let body = serde_json::json!({
            "type": "message",
            "attachments": [{"contentType": "application/vnd.microsoft.card.adaptive", "contentUrl": null, "content": digest.card}],
        });
        let response =
            self.http.post(&self.url).json(&body).send().await.map_err(|e| DeliveryError::from_request(&e))?;
        let status = response.status();
        let wait = retry_after(response.headers());
        let request_id = response
            .headers()
            .get("request-id")
            .or_else(|| response.headers().get("x-ms-request-id"))
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let text = response.text().await.unwrap_or_default();
        let hint: String = text.chars().take(200).collect();
        if !status.is_success() {
            return Err(DeliveryError::from_status(status, wait, &hint));
        }
        if text.contains("429") || text.to_ascii_lowercase().contains("too many requests") {
            return Err(DeliveryError::Transient { message: format!("throttled by Teams: {hint}"), retry_after: wait });
        }
        Ok(Delivered { remote_id: request_id })
    }
}
