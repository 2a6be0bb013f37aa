//! Direct Teams delivery: Adaptive Cards posted to a Teams Workflows (Power Automate) or incoming-webhook URL.
//!
//! Body: `{"type":"message","attachments":[{"contentType":"application/vnd.microsoft.card.adaptive","content":card}]}`,
//! one message per card (a digest whose detections do not fit Teams' 28 KB is split over several cards, see
//! [`crate::render`]). Answers, as the two kinds of endpoint give them:
//! - Workflows: 202 (accepted) with an empty body; a failure is a 4xx/5xx status.
//! - Legacy incoming webhooks (Office 365 connectors): 200 with body `1`; a failure is *also* a 200, whose body says
//!   `... Microsoft Teams endpoint returned HTTP error 413 with ContextId ...` (or 429, 400, 500, ...). That code is
//!   classified like a status: 429 and 5xx are retried, anything else (413: too large) fails the digest.
//!
//! A retry posts every card of the digest again (at least once, like every transport).

use super::{Delivered, DeliveryError, retry_after};
use crate::render::{Rendered, teams_message};

pub struct TeamsWebhook {
    pub url: String,
    pub http: reqwest::Client,
}

impl TeamsWebhook {
    pub async fn deliver(&self, digest: &Rendered) -> Result<Delivered, DeliveryError> {
        let mut request_ids = Vec::new();
        for card in &digest.cards {
            if let Some(id) = self.post(&teams_message(card)).await? {
                request_ids.push(id);
            }
        }
        Ok(Delivered { remote_id: (!request_ids.is_empty()).then(|| request_ids.join(",")) })
    }

    /// Posts one message; the request id Teams gave, if any.
    async fn post(&self, body: &serde_json::Value) -> Result<Option<String>, DeliveryError> {
        let response =
            self.http.post(&self.url).json(body).send().await.map_err(|e| DeliveryError::from_request(&e))?;
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
        if let Some(code) = error_in_body(&text) {
            let status = reqwest::StatusCode::from_u16(code).unwrap_or(reqwest::StatusCode::BAD_REQUEST);
            return Err(match DeliveryError::from_status(status, wait, &hint) {
                DeliveryError::Transient { retry_after, .. } => DeliveryError::Transient {
                    message: format!("Teams answered 200 with error {code}: {hint}"),
                    retry_after,
                },
                DeliveryError::Permanent(_) => {
                    DeliveryError::Permanent(format!("Teams answered 200 with error {code}: {hint}"))
                }
            });
        }
        Ok(request_id)
    }
}

/// The error a legacy connector reports inside a 200 body (`... returned HTTP error 413 with ...`, or a bare
/// "429"/"Too Many Requests"); `None` for success bodies (`1`, empty).
fn error_in_body(text: &str) -> Option<u16> {
    let body = text.trim();
    if body.is_empty() || body == "1" {
        return None;
    }
    let lower = body.to_ascii_lowercase();
    if let Some(at) = lower.find("http error") {
        let code: String =
            lower[at + "http error".len()..].trim_start().chars().take_while(char::is_ascii_digit).collect();
        return Some(code.parse().unwrap_or(400));
    }
    if lower.contains("429") || lower.contains("too many requests") {
        return Some(429);
    }
    if lower.contains("error") || lower.contains("failed") {
        return Some(400);
    }
    None
}

#[cfg(test)]
mod tests {
    use super::error_in_body;

    #[test]
    fn legacy_connector_bodies_are_read_as_their_status() {
        assert_eq!(error_in_body("1"), None);
        assert_eq!(error_in_body(""), None);
        let too_large = "Webhook message delivery failed with error: Microsoft Teams endpoint returned HTTP error 413 \
                         with ContextId tcid=0,server=msgapi-production-eus-azsc2-4-170,cv=deadbeef.0..";
        assert_eq!(error_in_body(too_large), Some(413));
        assert_eq!(
            error_in_body("Microsoft Teams endpoint returned HTTP error 429 with ContextId tcid=0,server=msgapi"),
            Some(429)
        );
        assert_eq!(error_in_body("Bad payload received by generic incoming webhook: error"), Some(400));
    }
}
