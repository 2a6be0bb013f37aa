//! Building and running digest-sender: schema check, templates, transports, the weekly-digest scheduler, the manual
//! runs asked for through the admin API (woken by NOTIFY on new `digest_requests`), the sending workers (woken by
//! NOTIFY on new digests) and the outbound webhook worker (woken by NOTIFY on new deliveries); every queue also polls.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use pathfinder_core::jobs::scheduler::{Scheduler, system_clock};
use pathfinder_core::listen::drain_until_stopped;
use pathfinder_core::supervise::Tasks;
use pathfinder_core::{Settings, db, migrations, shutdown};
use tokio_util::sync::CancellationToken;

use crate::outbound::OutboundWorker;
use crate::render::Renderer;
use crate::requests::RequestRunner;
use crate::send::Sender;
use crate::weekly::WeeklyDigestJob;
use crate::{channels, transports};

/// Digests claimed per pass.
const PASS_SIZE: i64 = 10;

pub struct Application {
    tasks: Tasks,
    health_port: Option<u16>,
}

impl Application {
    pub async fn build(settings: Settings) -> anyhow::Result<Self> {
        Self::build_with_shutdown(settings, shutdown::on_signals()).await
    }

    pub async fn build_with_shutdown(settings: Settings, shutdown: CancellationToken) -> anyhow::Result<Self> {
        let channels = channels::enabled(&settings);
        let renderer = Renderer::load(&PathBuf::from(&settings.delivery.templates_dir)).with_context(|| {
            format!("templates in PATHFINDER_DELIVERY__TEMPLATES_DIR={}", settings.delivery.templates_dir)
        })?;
        let mut transports = transports::resolve(&settings, &channels)?;
        let pool = db::create_pool(&settings, "digest-sender")?;
        migrations::wait_until_current(&pool, &shutdown).await?;
        transports::place_sandbox_outboxes(&mut transports, &pool).await?;
        // A channel starts the moment it is first enabled (recorded once, whichever replica is first). Every build
        // records it too, so a database that went away just now only delays it.
        let recorded = match pool.get().await {
            Ok(client) => crate::assemble::record_starts(&**client, &channels).await.map_err(anyhow::Error::from),
            Err(error) => Err(anyhow::Error::from(error)),
        };
        if let Err(error) = recorded {
            tracing::warn!(error = %format!("{error:#}"), "cannot record the channels' start yet; the next build does");
        }
        let health = pathfinder_core::health::serve_if_set(
            "HEALTH_ADDR",
            &settings.health_addr,
            "digest-sender",
            &pool,
            &shutdown,
        )?;

        let scheduler = Scheduler {
            pool: pool.clone(),
            tz: settings.tz(),
            handlers: vec![Arc::new(WeeklyDigestJob { channels: channels.clone() })],
            clock: system_clock(),
            shutdown: shutdown.clone(),
        };
        let wake =
            pathfinder_core::listen::spawn(settings.database_url.clone(), "pathfinder_digests", shutdown.clone());
        let requests = RequestRunner { pool: pool.clone(), job: WeeklyDigestJob { channels }, tz: settings.tz() };
        let requested = pathfinder_core::listen::spawn(
            settings.database_url.clone(),
            "pathfinder_digest_requests",
            shutdown.clone(),
        );
        let instance = uuid::Uuid::new_v4().simple().to_string();
        let outbound =
            OutboundWorker::new(format!("outbound-{}", &instance[..8]), pool.clone(), settings.outbound.clone())?;
        let outbound_wake =
            pathfinder_core::listen::spawn(settings.database_url.clone(), "pathfinder_outbound", shutdown.clone());
        let outbound_shutdown = shutdown.clone();
        let outbound_poll = Duration::from_millis(settings.outbound.poll_interval_ms);
        let sender = Sender {
            id: format!("digest-sender-{}", &instance[..8]),
            pool,
            renderer,
            transports,
            tz: settings.tz(),
            lease_secs: settings.delivery.lease_secs,
            max_attempts: settings.delivery.max_attempts,
        };
        let poll = Duration::from_millis(settings.delivery.poll_interval_ms);
        let mut tasks = Tasks::new("digest-sender", shutdown.clone());
        tasks.spawn("scheduler", scheduler.run());
        let stop = shutdown.clone();
        tasks.spawn("digest requests", async move {
            let pass = || async { requests.run_once().await.map(usize::from) };
            drain_until_stopped("manual digest run", &requested, poll, &stop, pass).await;
        });
        tasks.spawn("sender", async move {
            let pass = || async { sender.run_once(PASS_SIZE).await.map(|pass| pass.claimed) };
            drain_until_stopped("digest pass", &wake, poll, &shutdown, pass).await;
        });
        tasks.spawn("outbound webhooks", async move {
            let pass = || async { outbound.run_once().await.map(|pass| pass.claimed) };
            drain_until_stopped("outbound pass", &outbound_wake, outbound_poll, &outbound_shutdown, pass).await;
        });
        tracing::info!("digest-sender running");
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
        tracing::info!("digest-sender stopped");
        Ok(())
    }
}
