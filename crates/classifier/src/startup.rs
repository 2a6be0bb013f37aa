//! Building and running the classifier: pool, schema check, rules (reloaded on SIGHUP), the LISTEN connection
//! and the workers; with Discourse reconciliation enabled, the scheduler of `discourse-reconcile` and the task that
//! works its passes. `run_until_stopped` returns once every worker has finished its batch after SIGTERM.

use anyhow::Context;
use pathfinder_core::supervise::Tasks;
use pathfinder_core::{Settings, db, migrations, shutdown};
use tokio_util::sync::CancellationToken;

use std::sync::Arc;

use pathfinder_core::jobs::scheduler::{Scheduler, system_clock};

use crate::enrich::Enricher;
use crate::reconcile::job::DiscourseReconcileJob;
use crate::reconcile::{self, Reconciler};
use crate::rules::SharedRules;
use crate::worker::Worker;

pub struct Application {
    workers: Tasks,
    rules: SharedRules,
    health_port: Option<u16>,
}

impl Application {
    pub async fn build(settings: Settings) -> anyhow::Result<Self> {
        Self::build_with_shutdown(settings, shutdown::on_signals()).await
    }

    pub async fn build_with_shutdown(settings: Settings, shutdown: CancellationToken) -> anyhow::Result<Self> {
        let rules = SharedRules::load(&settings.rules_path)
            .with_context(|| format!("cannot use the rules at RULES_PATH={}", settings.rules_path))?;
        let pool = db::create_pool(&settings, "classifier")?;
        migrations::wait_until_current(&pool, &shutdown).await?;
        let health = pathfinder_core::health::serve_if_set(
            "HEALTH_ADDR",
            &settings.health_addr,
            "classifier",
            &pool,
            &shutdown,
        )?;
        rules.reload_on_sighup();
        let wake = pathfinder_core::listen::spawn(settings.database_url.clone(), "pathfinder_events", shutdown.clone());
        let instance = uuid::Uuid::new_v4().simple().to_string();
        let mut workers = Tasks::new("classifier", shutdown.clone());
        for n in 0..settings.classifier.workers {
            let worker = Worker {
                id: format!("classifier-{}-{n}", &instance[..8]),
                pool: pool.clone(),
                rules: rules.clone(),
                settings: settings.classifier.clone(),
                enrich: settings.enrichment.enabled(),
                wake: wake.clone(),
                shutdown: shutdown.clone(),
            };
            workers.spawn("classifier worker", worker.run());
        }
        if settings.enrichment.enabled() {
            let poll = std::time::Duration::from_millis(settings.classifier.poll_interval_ms);
            let enricher =
                Enricher::new(pool.clone(), settings.enrichment.clone(), wake.clone(), poll, shutdown.clone())?;
            workers.spawn("enricher", enricher.run());
        }
        if settings.discourse.reconcile_enabled {
            let holder = format!("classifier-{}", &instance[..8]);
            let reconciler = Reconciler::from_settings(&settings, pool.clone(), rules.clone(), holder)?;
            let scheduler = Scheduler {
                pool: pool.clone(),
                tz: settings.tz(),
                handlers: vec![Arc::new(DiscourseReconcileJob {
                    manual: false,
                    rule: settings.discourse.reconcile_rule(),
                })],
                clock: system_clock(),
                shutdown: shutdown.clone(),
            };
            workers.spawn("scheduler", scheduler.run());
            workers.spawn("discourse reconciliation", reconcile::job::run_worker(reconciler, shutdown.clone()));
        }
        tracing::info!(reconcile = settings.discourse.reconcile_enabled, enrichment = settings.enrichment.enabled(), workers = settings.classifier.workers, rules_version = %rules.current().version(), "classifier running");
        let health_port = health.as_ref().map(|h| h.port);
        if let Some(health) = health {
            workers.add("health listener", health.task);
        }
        Ok(Self { workers, rules, health_port })
    }

    /// The port of the HEALTH_ADDR listener, when there is one.
    pub fn health_port(&self) -> Option<u16> {
        self.health_port
    }

    /// The rules in use (tests reload them).
    pub fn rules(&self) -> SharedRules {
        self.rules.clone()
    }

    /// The supervised tasks (tests add an injected failure).
    pub fn tasks_mut(&mut self) -> &mut Tasks {
        &mut self.workers
    }

    /// Until shutdown, once every worker has finished its batch; an error when one of the tasks ended on its own
    /// ([`Tasks`]: the process exits 1).
    pub async fn run_until_stopped(self) -> anyhow::Result<()> {
        self.workers.run_until_stopped().await?;
        tracing::info!("classifier stopped");
        Ok(())
    }
}
