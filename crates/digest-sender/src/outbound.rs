//! The outbound webhook worker: claims due deliveries (Standard Webhooks events written by the triggers of migration
//! V14), signs and posts them, and records every attempt.
//!
//! - [`claim`]: due deliveries under a lease, a member's events to one endpoint strictly in order, the event body
//!   fixed at the first attempt;
//! - [`http`]: the client whose resolver checks every address of the host (SSRF) before it connects;
//! - [`outcome`]: the attempt row, the delivery's new status (`delivered`, back to `pending` with exponential
//!   backoff and jitter, or `failed` after `retry_hours`), and the endpoint disabled after `disable_after_days` of
//!   failures.
//!
//! At least once: a delivery is marked delivered after the receiver's 2xx; a crash between the two sends it again,
//! with the same `webhook-id`, which receivers use to drop the repeat.

pub mod claim;
pub mod http;
pub mod outcome;

use std::time::Instant;

use futures_util::future::join_all;
use pathfinder_core::db::DbPool;
use pathfinder_core::settings::OutboundSettings;
use tracing::Instrument;

use self::claim::Claimed;
use self::http::{Attempted, Poster};

/// The worker of one digest-sender process.
pub struct OutboundWorker {
    pub id: String,
    pub pool: DbPool,
    pub poster: Poster,
    pub settings: OutboundSettings,
}

/// What one pass did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Pass {
    pub claimed: usize,
    pub delivered: usize,
    pub failed: usize,
}

impl OutboundWorker {
    pub fn new(id: String, pool: DbPool, settings: OutboundSettings) -> anyhow::Result<Self> {
        let poster = Poster::new(&settings)?;
        Ok(Self { id, pool, poster, settings })
    }

    /// Claims up to `concurrency` due deliveries and tries them at once; returns what happened.
    pub async fn run_once(&self) -> anyhow::Result<Pass> {
        let claimed = {
            let client = self.pool.get().await?;
            claim::claim(&**client, &self.id, &self.settings).await?
        };
        let mut pass = Pass { claimed: claimed.len(), ..Pass::default() };
        let tries = claimed.into_iter().map(|delivery| {
            let span = tracing::info_span!("outbound", delivery_id = delivery.id, endpoint_id = delivery.endpoint_id,
                                           message_id = %delivery.message_id, attempt = delivery.attempt);
            self.try_one(delivery).instrument(span)
        });
        for result in join_all(tries).await {
            match result {
                Ok(true) => pass.delivered += 1,
                Ok(false) => pass.failed += 1,
                Err(error) => {
                    // The attempt's outcome could not be written: the lease expires and the delivery is tried again.
                    tracing::warn!(error = %format!("{error:#}"), "outbound attempt not recorded; it will be retried");
                    pass.failed += 1;
                }
            }
        }
        Ok(pass)
    }

    /// Posts one claimed delivery and records the attempt; `true` when the receiver took it.
    async fn try_one(&self, delivery: Claimed) -> anyhow::Result<bool> {
        let started = Instant::now();
        let attempted = self.poster.post(&delivery).await;
        let elapsed_ms = i32::try_from(started.elapsed().as_millis()).unwrap_or(i32::MAX);
        let delivered = matches!(attempted, Attempted::Delivered { .. });
        let mut client = self.pool.get().await?;
        outcome::record(&mut client, &self.id, &self.settings, &delivery, &attempted, elapsed_ms).await?;
        Ok(delivered)
    }
}
