//! Posting one signed event (Standard Webhooks headers `webhook-id`, `webhook-timestamp`, `webhook-signature`).
//!
//! SSRF: the client's DNS resolver ([`CheckedResolver`]) resolves the host, checks every address
//! (`pathfinder_core::outbound::target`) and gives the connection only the checked ones; an IP literal is checked
//! before the request. Redirects are not followed (a 3xx is a failed attempt) and no proxy is used, so nothing else
//! chooses where the request goes.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use pathfinder_core::outbound::{OutboundError, secret, target};
use pathfinder_core::settings::OutboundSettings;
use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use url::Host;

use super::claim::Claimed;

/// What one attempt came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Attempted {
    /// A 2xx.
    Delivered { status: u16 },
    /// Another status, or no answer (timeout, connection refused, TLS).
    Failed { status: Option<u16>, error: String, retry_after_secs: Option<u64> },
    /// The address is not allowed (or does not resolve): no request was made.
    Refused { error: String },
}

/// The outbound HTTP client.
pub struct Poster {
    http: reqwest::Client,
    allow_private: bool,
}

impl Poster {
    pub fn new(settings: &OutboundSettings) -> anyhow::Result<Self> {
        let resolver = CheckedResolver { allow_private: settings.allow_private_targets };
        let http = reqwest::Client::builder()
            .dns_resolver(Arc::new(resolver))
            .redirect(reqwest::redirect::Policy::none())
            .no_proxy()
            .timeout(Duration::from_millis(settings.timeout_ms))
            .user_agent(concat!("CaptPathfinder-Webhooks/", env!("CARGO_PKG_VERSION")))
            .build()?;
        Ok(Self { http, allow_private: settings.allow_private_targets })
    }

    /// Posts `delivery`, signed with each of its secrets, timestamped now.
    pub async fn post(&self, delivery: &Claimed) -> Attempted {
        let url = match target::parse_url(&delivery.url) {
            Ok(url) => url,
            Err(error) => return Attempted::Refused { error: error.to_string() },
        };
        let literal = match url.host() {
            Some(Host::Ipv4(ip)) => Some(ip.to_string()),
            Some(Host::Ipv6(ip)) => Some(ip.to_string()),
            _ => None,
        };
        if let Some(ip) = literal
            && let Err(error) = target::resolve_checked(&ip, 0, self.allow_private).await
        {
            return Attempted::Refused { error: error.to_string() };
        }
        let timestamp = chrono::Utc::now().timestamp();
        let secrets: Vec<&str> = delivery.secrets.iter().map(String::as_str).collect();
        let signature = secret::signature_header(&secrets, &delivery.message_id, timestamp, delivery.body.as_bytes());
        let sent = self
            .http
            .post(url)
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .header("webhook-id", &delivery.message_id)
            .header("webhook-timestamp", timestamp.to_string())
            .header("webhook-signature", signature)
            .body(delivery.body.clone())
            .send()
            .await;
        match sent {
            Ok(response) if response.status().is_success() => {
                Attempted::Delivered { status: response.status().as_u16() }
            }
            Ok(response) => Attempted::Failed {
                status: Some(response.status().as_u16()),
                error: format!("HTTP {}", response.status()),
                retry_after_secs: response
                    .headers()
                    .get(reqwest::header::RETRY_AFTER)
                    .and_then(|v| v.to_str().ok())
                    .and_then(|v| v.trim().parse().ok()),
            },
            Err(error) => match refusal(&error) {
                Some(refused) => Attempted::Refused { error: refused },
                None => Attempted::Failed { status: None, error: describe(&error), retry_after_secs: None },
            },
        }
    }
}

/// The resolver's refusal, when that is why the request failed.
fn refusal(error: &reqwest::Error) -> Option<String> {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(error);
    while let Some(current) = source {
        if let Some(refused) = current.downcast_ref::<OutboundError>() {
            return Some(refused.to_string());
        }
        source = current.source();
    }
    None
}

/// A failure in a few words, without the URL (it may hold a receiver's token).
fn describe(error: &reqwest::Error) -> String {
    let kind = if error.is_timeout() {
        "timed out"
    } else if error.is_connect() {
        "could not connect"
    } else {
        "request failed"
    };
    let mut detail = String::new();
    let mut source = std::error::Error::source(error);
    while let Some(current) = source {
        detail = current.to_string();
        source = current.source();
    }
    if detail.is_empty() { kind.to_owned() } else { format!("{kind}: {detail}") }
}

/// Resolves a host and refuses it unless every address is allowed; the connection gets only these addresses.
struct CheckedResolver {
    allow_private: bool,
}

impl Resolve for CheckedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let allow_private = self.allow_private;
        Box::pin(async move {
            let addrs: Vec<SocketAddr> = target::resolve_checked(name.as_str(), 0, allow_private).await?;
            Ok(Box::new(addrs.into_iter()) as Addrs)
        })
    }
}
