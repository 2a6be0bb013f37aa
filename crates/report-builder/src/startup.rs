//! Building and running report-builder: the scheduler for `month-end-report` and `purge-events`, and the queue of
//! month-to-date reports (woken by NOTIFY on new `reports` rows, polling otherwise).

use std::sync::Arc;
use std::time::Duration;

use pathfinder_core::jobs::scheduler::{Scheduler, system_clock};
use pathfinder_core::listen::drain_until_stopped;
use pathfinder_core::supervise::Tasks;
use pathfinder_core::{Settings, db, migrations, shutdown};
use tokio_util::sync::CancellationToken;

use crate::queue;

/// The report generator and the scheduled jobs' handlers, from settings (shared with `pathfinder jobs run`).
pub use pathfinder_reports::jobs::{generator, handlers as jobs};

/// Polling interval of the report queue when no NOTIFY arrives.
const POLL: Duration = Duration::from_secs(5);

pub struct Application {
    tasks: Tasks,
    health_port: Option<u16>,
}

impl Application {
    pub async fn build(settings: Settings) -> anyhow::Result<Self> {
        Self::build_with_shutdown(settings, shutdown::on_signals()).await
    }

    pub async fn build_with_shutdown(settings: Settings, shutdown: CancellationToken) -> anyhow::Result<Self> {
        let generator = generator(&settings)?;
        let pool = db::create_pool(&settings, "report-builder")?;
        migrations::wait_until_current(&pool, &shutdown).await?;
        let health = pathfinder_core::health::serve_if_set(
            "HEALTH_ADDR",
            &settings.health_addr,
            "report-builder",
            &pool,
            &shutdown,
        )?;
        let (month_end, purge) = jobs(&settings, generator.clone());
        let scheduler = Scheduler {
            pool: pool.clone(),
            tz: settings.tz(),
            handlers: vec![Arc::new(month_end), Arc::new(purge)],
            clock: system_clock(),
            shutdown: shutdown.clone(),
        };
        let wake =
            pathfinder_core::listen::spawn(settings.database_url.clone(), "pathfinder_reports", shutdown.clone());
        let mut tasks = Tasks::new("report-builder", shutdown.clone());
        tasks.spawn("scheduler", scheduler.run());
        tasks.spawn("report queue", async move {
            let pass = || async { queue::run_once(&pool, &generator).await.map(usize::from) };
            drain_until_stopped("report build", &wake, POLL, &shutdown, pass).await;
        });
        tracing::info!("report-builder running");
        let health_port = health.as_ref().map(|h| h.port);
        if let Some(health) = health {
            tasks.add("health listener", health.task);
        }
        Ok(Self { tasks, health_port })
    }

    /// The port of the HEALTH_ADDR listener, when there is one.
    pub fn health_port(&self) -> Option<u16> {
        self.health_port
    }

    /// The supervised tasks (tests add an injected failure).
    pub fn tasks_mut(&mut self) -> &mut Tasks {
        &mut self.tasks
    }

    /// Until shutdown; an error when one of the tasks ended on its own ([`Tasks`]: the process exits 1).
    pub async fn run_until_stopped(self) -> anyhow::Result<()> {
        self.tasks.run_until_stopped().await?;
        tracing::info!("report-builder stopped");
        Ok(())
    }
}
