//! Delivery transports: where a rendered digest goes.
//!
//! - `sandbox`: writes the digest to a folder and the log, so a new user sees digests without any account;
//! - `teams-webhook`: posts an Adaptive Card to a Teams Workflows / incoming-webhook URL;
//! - `aa`: deploys an Automation Anywhere bot through the Control Room API, the digest as its input;
//! - `smtp`: sends the email itself through an SMTP server.
//!
//! Every transport says whether a failure is worth retrying ([`DeliveryError::Transient`]: timeouts, 5xx, 429,
//! with the server's Retry-After when it gave one) or not ([`DeliveryError::Permanent`]: any other 4xx).

mod aa;
mod sandbox;
mod smtp;
mod teams;

use std::time::Duration;

pub use aa::{AaBot, ControlRoom};
pub use sandbox::{Sandbox, installation_folder};
pub use smtp::Smtp;
pub use teams::TeamsWebhook;

use crate::render::Rendered;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delivered {
    /// What the other side called it (a file, a request id), if anything.
    pub remote_id: Option<String>,
}

#[derive(Debug, Clone, thiserror::Error)]
pub enum DeliveryError {
    #[error("{message}")]
    Transient { message: String, retry_after: Option<Duration> },
    #[error("{0}")]
    Permanent(String),
}

impl DeliveryError {
    pub fn transient(message: impl Into<String>) -> Self {
        Self::Transient { message: message.into(), retry_after: None }
    }

    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            Self::Transient { retry_after, .. } => *retry_after,
            Self::Permanent(_) => None,
        }
    }

    pub fn is_transient(&self) -> bool {
        matches!(self, Self::Transient { .. })
    }

    /// Classifies an HTTP status the way every transport does.
    pub fn from_status(status: reqwest::StatusCode, retry_after: Option<Duration>, body_hint: &str) -> Self {
        let message =
            format!("HTTP {status}{}", if body_hint.is_empty() { String::new() } else { format!(": {body_hint}") });
        if status.is_server_error()
            || status == reqwest::StatusCode::TOO_MANY_REQUESTS
            || status == reqwest::StatusCode::REQUEST_TIMEOUT
        {
            Self::Transient { message, retry_after }
        } else {
            Self::Permanent(message)
        }
    }

    /// A request that did not complete (no status): transient, without the URL (it may hold a secret).
    pub fn from_request(error: &reqwest::Error) -> Self {
        let what = if error.is_timeout() {
            "timed out"
        } else if error.is_connect() {
            "cannot connect"
        } else {
            "request failed"
        };
        Self::transient(what)
    }
}

/// `Retry-After` in seconds (the HTTP-date form is treated as absent).
pub fn retry_after(headers: &reqwest::header::HeaderMap) -> Option<Duration> {
    headers
        .get(reqwest::header::RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok())
        .map(Duration::from_secs)
}

pub enum Transport {
    Sandbox(Sandbox),
    TeamsWebhook(TeamsWebhook),
    Aa(AaBot),
    Smtp(Smtp),
}

impl Transport {
    pub fn name(&self) -> &'static str {
        match self {
            Self::Sandbox(_) => "sandbox",
            Self::TeamsWebhook(_) => "teams-webhook",
            Self::Aa(_) => "aa",
            Self::Smtp(_) => "smtp",
        }
    }

    pub async fn deliver(&self, channel: &str, digest: &Rendered) -> Result<Delivered, DeliveryError> {
        match self {
            Self::Sandbox(sandbox) => sandbox.deliver(channel, digest).await,
            Self::TeamsWebhook(teams) => teams.deliver(digest).await,
            Self::Aa(bot) => bot.deliver(channel, digest).await,
            Self::Smtp(smtp) => smtp.deliver(digest).await,
        }
    }
}
