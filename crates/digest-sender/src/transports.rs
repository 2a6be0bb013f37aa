//! Which transport each channel uses, from settings ("auto": Automation Anywhere when configured, else the direct
//! transport when its URL is set, else the sandbox). A choice whose settings are missing stops the service at start
//! with one line naming them.

use std::collections::HashMap;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context;
use pathfinder_core::Settings;

use crate::assemble::Channel;
use crate::transport::{AaBot, ControlRoom, Sandbox, Smtp, TeamsWebhook, Transport, installation_folder};

pub fn resolve(settings: &Settings, channels: &[Channel]) -> anyhow::Result<HashMap<&'static str, Transport>> {
    let http = reqwest::Client::builder()
        .timeout(Duration::from_millis(settings.delivery.timeout_ms))
        .user_agent(concat!("CaptPathfinder/", env!("CARGO_PKG_VERSION")))
        .build()?;
    let aa_configured = !settings.aa_control_room_url.is_empty();
    let mut control_room: Option<std::sync::Arc<ControlRoom>> = None;
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
            (_, "aa") => {
                let room = match &control_room {
                    Some(room) => room.clone(),
                    None => {
                        let room = std::sync::Arc::new(control_room_from(settings, http.clone())?);
                        control_room = Some(room.clone());
                        room
                    }
                };
                let (bot_setting, bot) = match channel {
                    Channel::Email => ("AA_EMAIL_BOT_ID", &settings.aa_email_bot_id),
                    Channel::Teams => ("AA_TEAMS_BOT_ID", &settings.aa_teams_bot_id),
                };
                let file_id = bot
                    .trim()
                    .parse::<i64>()
                    .map_err(|_| anyhow::anyhow!("{bot_setting} must be the bot's numeric file id"))?;
                Transport::Aa(AaBot {
                    control_room: room,
                    file_id,
                    recipients: settings.digest_email_to.clone(),
                    from: settings.digest_email_from.clone(),
                })
            }
            (Channel::Email, "smtp") => {
                anyhow::ensure!(!settings.smtp_url.is_empty(), "SMTP_URL is required for the smtp transport");
                Transport::Smtp(Smtp::new(
                    &settings.smtp_url,
                    &settings.digest_email_from,
                    &settings.digest_email_to,
                    Duration::from_millis(settings.delivery.timeout_ms),
                )?)
            }
            (_, other) => anyhow::bail!("unknown transport {other:?} for the {} channel", channel.as_str()),
        };
        tracing::info!(channel = channel.as_str(), transport = transport.name(), "delivery transport");
        transports.insert(channel.as_str(), transport);
    }
    Ok(transports)
}

/// Points every sandbox transport at its database's own outbox subfolder (see [`installation_folder`]), so digest
/// ids that start again in a new database never overwrite an earlier database's files.
pub async fn place_sandbox_outboxes(
    transports: &mut HashMap<&'static str, Transport>,
    pool: &pathfinder_core::db::DbPool,
) -> anyhow::Result<()> {
    if !transports.values().any(|t| matches!(t, Transport::Sandbox(_))) {
        return Ok(());
    }
    let client = pool.get().await.context("a connection to name the sandbox outbox")?;
    let folder = installation_folder(&**client).await.context("naming the sandbox outbox")?;
    for transport in transports.values_mut() {
        if let Transport::Sandbox(sandbox) = transport {
            sandbox.outbox.push(&folder);
            tracing::info!(outbox = %sandbox.outbox.display(), "sandbox digests are written here");
        }
    }
    Ok(())
}

fn control_room_from(settings: &Settings, http: reqwest::Client) -> anyhow::Result<ControlRoom> {
    for (name, value) in [
        ("AA_CONTROL_ROOM_URL", &settings.aa_control_room_url),
        ("AA_USERNAME", &settings.aa_username),
        ("AA_API_KEY", &settings.aa_api_key),
    ] {
        anyhow::ensure!(!value.trim().is_empty(), "{name} is required for the aa transport");
    }
    let run_as: Vec<i64> = settings
        .aa_run_as_user_ids
        .split(',')
        .map(str::trim)
        .filter(|id| !id.is_empty())
        .map(|id| {
            id.parse::<i64>().map_err(|_| anyhow::anyhow!("AA_RUN_AS_USER_IDS must be numeric user ids, got {id:?}"))
        })
        .collect::<anyhow::Result<_>>()?;
    Ok(ControlRoom::new(&settings.aa_control_room_url, &settings.aa_username, &settings.aa_api_key, run_as, http))
}
