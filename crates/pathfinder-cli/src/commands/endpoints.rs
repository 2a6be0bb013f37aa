//! `pathfinder endpoints ...`: outbound webhook endpoints (Standard Webhooks) and their deliveries.
//!
//! add (prints the endpoint's `whsec_` secret, the only time it is shown), list, remove, rotate-secret, enable (after
//! the worker disabled one), deliveries (each with its attempts), resend. Every change is in the audit log.

use clap::Subcommand;
use pathfinder_core::outbound::deliveries::{self, Delivery};
use pathfinder_core::outbound::endpoints::{self, Endpoint, NewEndpoint, WithSecret};
use pathfinder_core::outbound::{EventType, OutboundError};
use pathfinder_core::{Settings, db, migrations};

#[derive(Debug, Subcommand)]
pub enum EndpointsCommand {
    /// Register an endpoint; prints its signing secret once.
    Add {
        /// `https://...` (or `http://`); every address of its host must be public unless
        /// PATHFINDER_OUTBOUND__ALLOW_PRIVATE_TARGETS=true.
        url: String,
        /// Comma-separated event types: detection.created, digest.sent (default: both).
        #[arg(long, default_value = "")]
        events: String,
        /// What the endpoint is for (shown by `list`).
        #[arg(long, default_value = "")]
        description: String,
        #[arg(long)]
        json: bool,
    },
    /// Every endpoint with its status and delivery counts (never the secrets).
    List {
        #[arg(long)]
        json: bool,
    },
    /// Remove an endpoint with its deliveries (those not yet sent are dropped).
    Remove { id: i64 },
    /// A new secret (printed once); the previous one keeps signing for 24 hours.
    RotateSecret {
        id: i64,
        #[arg(long)]
        json: bool,
    },
    /// Enable an endpoint again after it was disabled for failing; its waiting deliveries go out at once.
    Enable { id: i64 },
    /// An endpoint's deliveries, newest first, each with its attempts.
    Deliveries {
        /// The endpoint's id.
        id: i64,
        /// Only deliveries in this status: pending, delivering, delivered, failed.
        #[arg(long, value_parser = ["pending", "delivering", "delivered", "failed"])]
        status: Option<String>,
        #[arg(long, default_value_t = 20, value_parser = clap::value_parser!(i64).range(1..=1000))]
        limit: i64,
        #[arg(long)]
        json: bool,
    },
    /// Send a delivery again (failed, or delivered once more) with the same webhook-id and body.
    Resend {
        /// The delivery's id (from `deliveries`).
        delivery_id: i64,
    },
}

pub async fn run(settings: &Settings, command: EndpointsCommand) -> anyhow::Result<()> {
    let mut client = db::connect(&settings.database_url, "pathfinder-endpoints").await?;
    migrations::ensure_current(&client).await?;
    let actor = super::operator();
    let tx = client.transaction().await?;
    match command {
        EndpointsCommand::Add { url, events, description, json } => {
            let new = NewEndpoint { url: &url, events: &events, description: &description };
            let added =
                endpoints::add(&tx, &new, settings.outbound.allow_private_targets, &actor).await.map_err(coded)?;
            tx.commit().await?;
            print_secret(&added, json, "added")?;
        }
        EndpointsCommand::List { json } => {
            let all = endpoints::list(&tx).await?;
            if json {
                for endpoint in &all {
                    println!("{}", serde_json::to_string(endpoint)?);
                }
            } else if all.is_empty() {
                println!("no endpoints: `pathfinder endpoints add <url>` registers one");
            } else {
                all.iter().for_each(print_endpoint);
            }
        }
        EndpointsCommand::Remove { id } => {
            let deleted = endpoints::remove(&tx, id, &actor).await.map_err(coded)?;
            tx.commit().await?;
            println!("endpoint {id} removed with its {deleted} deliveries");
        }
        EndpointsCommand::RotateSecret { id, json } => {
            let rotated = endpoints::rotate_secret(&tx, id, &actor).await.map_err(coded)?;
            tx.commit().await?;
            print_secret(&rotated, json, "secret rotated")?;
            if !json {
                println!("the previous secret also signs for {} hours", endpoints::ROTATION_OVERLAP_HOURS);
            }
        }
        EndpointsCommand::Enable { id } => {
            let endpoint = endpoints::enable(&tx, id, &actor).await.map_err(coded)?;
            tx.commit().await?;
            println!("endpoint {id} enabled; {} deliveries waiting go out now", endpoint.pending);
        }
        EndpointsCommand::Deliveries { id, status, limit, json } => {
            let list = deliveries::list(&tx, id, status.as_deref(), limit).await.map_err(coded)?;
            if json {
                for delivery in &list {
                    println!("{}", serde_json::to_string(delivery)?);
                }
            } else if list.is_empty() {
                println!("no deliveries for endpoint {id}");
            } else {
                list.iter().for_each(print_delivery);
            }
        }
        EndpointsCommand::Resend { delivery_id } => {
            let was = deliveries::resend(&tx, delivery_id, &actor).await.map_err(coded)?;
            tx.commit().await?;
            println!("delivery {delivery_id} (was {was}) queued to be sent again with the same webhook-id");
        }
    }
    Ok(())
}

/// The error with its stable code, as the CLI prints it.
fn coded(error: OutboundError) -> anyhow::Error {
    anyhow::anyhow!("{error} [{}]", error.code())
}

fn events(list: &[EventType]) -> String {
    list.iter().map(|e| e.as_str()).collect::<Vec<_>>().join(",")
}

fn print_secret(shown: &WithSecret, json: bool, what: &str) -> anyhow::Result<()> {
    if json {
        println!("{}", serde_json::to_string(shown)?);
        return Ok(());
    }
    let endpoint = &shown.endpoint;
    println!("endpoint {} {what}: {} ({})", endpoint.id, endpoint.url, events(&endpoint.events));
    println!("secret: {}", shown.secret);
    println!(
        "keep it now: it is not shown again (`pathfinder endpoints rotate-secret {}` makes a new one)",
        endpoint.id
    );
    Ok(())
}

fn print_endpoint(endpoint: &Endpoint) {
    println!(
        "{:>4}  {:<8}  {}  [{}]  pending {}, delivered {}, failed {}{}",
        endpoint.id,
        endpoint.status,
        endpoint.url,
        events(&endpoint.events),
        endpoint.pending,
        endpoint.delivered,
        endpoint.failed,
        if endpoint.description.is_empty() { String::new() } else { format!("  - {}", endpoint.description) }
    );
    if let Some(since) = endpoint.failing_since {
        println!("      failing since {since}");
    }
    if let Some(reason) = &endpoint.disabled_reason {
        println!("      disabled: {reason}");
    }
}

fn print_delivery(delivery: &Delivery) {
    let subject = match (delivery.detection_id, delivery.digest_id) {
        (Some(id), _) => format!("detection {id}"),
        (_, Some(id)) => format!("digest {id}"),
        _ => String::new(),
    };
    let next = delivery.next_attempt_at.map(|t| format!(", next attempt {t}")).unwrap_or_default();
    println!(
        "{:>6}  {:<10}  {}  {}  {subject}  attempts {}{next}",
        delivery.id, delivery.status, delivery.event_type, delivery.message_id, delivery.attempts
    );
    for attempt in &delivery.attempt_log {
        let status = attempt.status_code.map(|s| format!("HTTP {s}")).unwrap_or_else(|| "no answer".into());
        let error = attempt.error.as_deref().map(|e| format!(" - {e}")).unwrap_or_default();
        println!(
            "          #{:<3} {}  {:<9} {status} in {} ms{error}",
            attempt.attempt, attempt.at, attempt.outcome, attempt.duration_ms
        );
    }
}
