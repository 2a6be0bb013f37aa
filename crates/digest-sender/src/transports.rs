//! Which transport each channel uses, from settings ("auto": Automation Anywhere when configured, else the direct
//! transport when its URL is set, else the sandbox). A choice whose settings are missing stops the service at start
//! with one line naming them.

use std::collections::HashMap;
use std::path::PathBuf;
use std::time::Duration;

use pathfinder_core::Settings;

use crate::assemble::Channel;
use crate::transport::{Sandbox, TeamsWebhook, Transport};

pub fn resolve(settings: &Settings, channels: &[Channel]) -> anyhow::Result<HashMap<&'static str, Transport>> {
    let http = reqwest::Client::builder()
        .timeout(Duration::from_millis(settings.delivery.timeout_ms))
        .user_agent(concat!("CaptPathfinder/", env!("CARGO_PKG_VERSION")))
        .build()?;
    let aa_configured = !settings.aa_control_room_url.is_empty();
    let mut transports = HashMap::new();
    for channel in channels {
        let (configured, direct_name, direct_ready, aa_bot) = match channel {
            Channel::Email => {
                (&settings.delivery.email_transport, "smtp", !settings.smtp_url.is_empty(), &settings.aa_email_bot_id)
            }
            Channel::Teams => (
                &settings.delivery.teams_transport,
                "teams-webhook",
                !settings.teams_webhook_url.is_empty(),
                &settings.aa_teams_bot_id,
            ),
        };
        let choice = match configured.as_str() {
            "auto" if aa_configured && !aa_bot.is_empty() => "aa",
            "auto" if direct_ready => direct_name,
            "auto" => "sandbox",
            other => other,
        };
        let transport = match (channel, choice) {
            (_, "sandbox") => Transport::Sandbox(Sandbox { outbox: PathBuf::from(&settings.delivery.outbox_dir) }),
            (Channel::Teams, "teams-webhook") => {
                anyhow::ensure!(
                    !settings.teams_webhook_url.is_empty(),
                    "TEAMS_WEBHOOK_URL is required for the teams-webhook transport"
                );
                Transport::TeamsWebhook(TeamsWebhook { url: settings.teams_webhook_url.clone(), http: http.clone() })
            }
            (_, "aa" | "smtp") => anyhow::bail!(
                "the {choice} transport ({} channel) is not available in this build yet; use sandbox{}",
                channel.as_str(),
                if *channel == Channel::Teams { " or teams-webhook" } else { "" }
            ),
            (_, other) => anyhow::bail!("unknown transport {other:?} for the {} channel", channel.as_str()),
        };
        tracing::info!(channel = channel.as_str(), transport = transport.name(), "delivery transport");
        transports.insert(channel.as_str(), transport);
    }
    Ok(transports)
}
