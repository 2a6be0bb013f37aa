//! One worker: claim a batch, apply it, repeat while there is work; then sleep until NOTIFY or the poll interval.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::time::{Duration, Instant};

use pathfinder_classify::Classifier;
use pathfinder_core::db::{DbPool, is_unavailable};
use pathfinder_core::listen::drain_until_stopped;
use pathfinder_core::settings::ClassifierSettings;
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;
use tracing::Instrument;

use crate::batch::{self, Applied, Member};
use crate::queue;
use crate::rules::SharedRules;

pub struct Worker {
    pub id: String,
    pub pool: DbPool,
    pub rules: SharedRules,
    pub settings: ClassifierSettings,
    /// Whether new detections are queued for member enrichment.
    pub enrich: bool,
    pub wake: Arc<Notify>,
    pub shutdown: CancellationToken,
}

impl Worker {
    /// Runs until shutdown; work in flight finishes first.
    pub async fn run(self) {
        let poll = Duration::from_millis(self.settings.poll_interval_ms);
        let what = format!("batch of worker {}", self.id);
        drain_until_stopped(&what, &self.wake, poll, &self.shutdown, || self.run_once()).await;
    }

    /// Claims one batch and applies it. Returns how many events were claimed (0: the queue is empty).
    pub async fn run_once(&self) -> anyhow::Result<usize> {
        let mut client = self.pool.get().await?;
        let claimed = queue::claim(&client, &self.id, self.settings.lease_secs, self.settings.batch_size).await?;
        if claimed.is_empty() {
            return Ok(0);
        }
        let span =
            tracing::info_span!("batch", worker = %self.id, first_event_id = claimed[0].id, events = claimed.len());
        let mut by_member: BTreeMap<Member, Vec<i64>> = BTreeMap::new();
        for event in &claimed {
            by_member.entry((event.source.clone(), event.user_id.clone())).or_default().push(event.id);
        }
        let members: BTreeSet<Member> = by_member.keys().cloned().collect();
        let rules = self.rules.current();
        let started = Instant::now();
        let outcome =
            apply_in_transaction(&mut client, &self.id, &members, &rules, self.enrich).instrument(span.clone()).await;
        metrics::histogram!("pathfinder_classifier_batch_duration_seconds").record(started.elapsed().as_secs_f64());
        match outcome {
            Ok(applied) => {
                span.in_scope(|| tracing::debug!(?applied, "batch applied"));
                Ok(claimed.len())
            }
            Err(error) if is_unavailable(&error) => Err(error.into()),
            Err(error) => {
                span.in_scope(|| tracing::warn!(error = %error, "batch failed; applying member by member"));
                self.apply_one_by_one(&mut client, by_member, &rules).instrument(span).await?;
                Ok(claimed.len())
            }
        }
    }

    /// The fallback after a failed batch: each member alone, so one member's bad event cannot hold up the rest.
    async fn apply_one_by_one(
        &self,
        client: &mut deadpool_postgres::Object,
        by_member: BTreeMap<Member, Vec<i64>>,
        rules: &Classifier,
    ) -> anyhow::Result<()> {
        for (member, ids) in by_member {
            let single = BTreeSet::from([member.clone()]);
            match apply_in_transaction(client, &self.id, &single, rules, self.enrich).await {
                Ok(_) => {}
                Err(error) if is_unavailable(&error) => return Err(error.into()),
                Err(error) => {
                    let message = error.as_db_error().map_or_else(|| error.to_string(), |db| db.message().to_string());
                    let parked = queue::record_failure(client, &ids, self.settings.max_attempts, &message).await?;
                    metrics::counter!("pathfinder_classifier_event_failures_total").increment(ids.len() as u64);
                    if !parked.is_empty() {
                        metrics::counter!("pathfinder_classifier_events_parked_total").increment(parked.len() as u64);
                        tracing::error!(source = %member.0, user_id = %member.1, event_ids = ?parked, error = %message, "events parked as failed");
                    } else {
                        tracing::warn!(source = %member.0, user_id = %member.1, event_ids = ?ids, error = %message, "events failed; will retry");
                    }
                }
            }
        }
        Ok(())
    }
}

async fn apply_in_transaction(
    client: &mut deadpool_postgres::Object,
    worker: &str,
    members: &BTreeSet<Member>,
    rules: &Classifier,
    enrich: bool,
) -> Result<Applied, tokio_postgres::Error> {
    let tx = client.transaction().await?;
    let applied = batch::apply_members(&tx, worker, members, rules, enrich).await?;
    tx.commit().await?;
    Ok(applied)
}
