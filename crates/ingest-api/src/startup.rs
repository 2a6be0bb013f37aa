//! Building and running the service: `Application::build(settings)` binds (port 0 works, for tests), checks the
//! schema, starts the batch writers; `run_until_stopped` serves until SIGTERM, then drains and exits.

use std::net::TcpListener;
use std::time::Duration;

use actix_web::dev::Server;
use actix_web::middleware::from_fn;
use actix_web::{App, HttpResponse, HttpServer, web};
use anyhow::Context;
use pathfinder_core::{Settings, db, migrations, shutdown, telemetry};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;
use utoipa_actix_web::AppExt;

use crate::routes::{self, AppState};
use crate::signature::Verifier;
use crate::store::{EventWriter, WriterConfig};

pub struct Application {
    port: u16,
    server: Server,
    writers: Vec<JoinHandle<()>>,
    /// The METRICS_ADDR listener (/metrics, /health, /ready), when there is one.
    metrics: Option<pathfinder_core::health::HealthServer>,
    shutdown: CancellationToken,
}

impl Application {
    /// Binds `settings.bind_addr`, waits for a current schema, and prepares the server (not yet running).
    pub async fn build(settings: Settings) -> anyhow::Result<Self> {
        Self::build_with_shutdown(settings, shutdown::on_signals()).await
    }

    /// Like [`Application::build`], stopped by cancelling `shutdown` instead of by a signal.
    pub async fn build_with_shutdown(settings: Settings, shutdown: CancellationToken) -> anyhow::Result<Self> {
        let pool = db::create_pool_for(&settings, "ingest-api", db::Workload::Requests)?;
        migrations::wait_until_current(&pool, &shutdown).await?;
        let (writer, writers) = EventWriter::start(
            pool.clone(),
            WriterConfig {
                batch_max_rows: settings.ingest.batch_max_rows,
                writers: settings.ingest.batch_writers,
                dedupe_window_hours: settings.ingest.dedupe_window_hours,
            },
        );
        let metrics = pathfinder_core::health::serve_if_set(
            "METRICS_ADDR",
            &settings.metrics_addr,
            "ingest-api",
            &pool,
            &shutdown,
        )?;
        let state = web::Data::new(AppState {
            pool,
            writer,
            verifier: Verifier::new(settings.webhook_secrets(), settings.ingest.signature_tolerance_secs),
            metrics: telemetry::metrics_handle(),
            metrics_on_public_port: metrics.is_none(),
            max_body_bytes: settings.ingest.max_body_bytes,
            retry_after_secs: settings.ingest.retry_after_secs,
            write_timeout: Duration::from_secs(settings.ingest.write_timeout_secs),
            discourse_field_id: settings.discourse.job_title_field_id.clone(),
            discourse_profile_field: settings.discourse.profile_field_name.clone(),
            discourse_erase_on_delete: settings.discourse.erase_on_delete,
            admin_token: settings.admin_token().map(str::to_owned),
            admin_label: settings.admin.token_label.clone(),
            allow_private_targets: settings.outbound.allow_private_targets,
            tz: settings.tz(),
            pages: load_pages(&settings.delivery.templates_dir)?,
            reports_dir: std::path::PathBuf::from(&settings.reports_dir),
        });
        let listener = TcpListener::bind(&settings.bind_addr)
            .with_context(|| format!("cannot listen on BIND_ADDR {}", settings.bind_addr))?;
        let port = listener.local_addr()?.port();
        let http_workers = match settings.ingest.http_workers {
            0 => std::thread::available_parallelism().map(|n| n.get()).unwrap_or(2),
            n => n,
        };
        let server = HttpServer::new(move || {
            let (path_errors, form_errors) = crate::error::extractor_errors();
            // Each route is registered once: utoipa-actix-web collects its OpenAPI path and schemas from the
            // `service` call that registers it, and `/openapi.json` serves what was collected.
            let (app, document) = App::new()
                .wrap(from_fn(crate::request_id::middleware))
                .app_data(state.clone())
                .app_data(path_errors)
                .app_data(form_errors)
                .into_utoipa_app()
                .openapi(crate::openapi::base())
                .service(routes::community::post)
                .service(routes::discourse::post)
                .service(routes::health::get)
                .service(routes::ready::get)
                .service(routes::metrics::get)
                .service(crate::openapi::get_openapi)
                .service(routes::admin::send_digests::post)
                .service(routes::admin::digest_requests::get)
                .service(routes::admin::stats::get)
                .service(routes::admin::recent_detections::get)
                .service(routes::admin::generate_reports::post)
                .service(routes::admin::members::delete)
                .service(routes::admin::audit::get)
                .service(routes::admin::endpoints::list)
                .service(routes::admin::endpoints::add)
                .service(routes::admin::endpoints::remove)
                .service(routes::admin::endpoints::rotate_secret)
                .service(routes::admin::endpoints::enable)
                .service(routes::admin::outbound_deliveries::list)
                .service(routes::admin::outbound_deliveries::resend)
                .service(routes::admin::dashboard::get)
                .service(routes::admin::dashboard::login)
                .service(routes::admin::dashboard::logout)
                .service(routes::admin::dashboard::send_digests)
                .service(routes::admin::dashboard::generate_report)
                .service(routes::admin::dashboard::report_file)
                .default_service(web::to(not_found))
                .split_for_parts();
            app.app_data(web::Data::new(crate::openapi::Document(document)))
        })
        .workers(http_workers)
        .listen(listener)?
        .disable_signals()
        .shutdown_timeout(30)
        .run();
        tracing::info!(port, "ingest-api listening");
        Ok(Self { port, server, writers, metrics, shutdown })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// The port of the METRICS_ADDR listener, when there is one.
    pub fn metrics_port(&self) -> Option<u16> {
        self.metrics.as_ref().map(|m| m.port)
    }

    /// Serves until the shutdown token fires; in-flight requests finish and their events are committed.
    pub async fn run_until_stopped(self) -> anyhow::Result<()> {
        let handle = self.server.handle();
        let token = self.shutdown.clone();
        tokio::spawn(async move {
            token.cancelled().await;
            handle.stop(true).await;
        });
        self.server.await?;
        // The server (and with it every EventWriter clone) is gone: writers drain the queue and stop.
        for writer in self.writers {
            let _ = writer.await;
        }
        if let Some(metrics) = self.metrics {
            let _ = metrics.task.await;
        }
        tracing::info!("ingest-api stopped");
        Ok(())
    }
}

/// The dashboard's templates; a missing or broken one stops the service at start, naming the file.
fn load_pages(dir: &str) -> anyhow::Result<tera::Tera> {
    let mut tera = tera::Tera::default();
    tera.autoescape_on(vec![".html"]);
    for name in ["admin-login.html", "admin-dashboard.html"] {
        let path = std::path::Path::new(dir).join(name);
        let source = std::fs::read_to_string(&path)
            .with_context(|| format!("cannot read {} (PATHFINDER_DELIVERY__TEMPLATES_DIR)", path.display()))?;
        tera.add_raw_template(name, &source).with_context(|| format!("template {} does not parse", path.display()))?;
    }
    Ok(tera)
}

async fn not_found() -> HttpResponse {
    actix_web::ResponseError::error_response(&crate::error::ApiError::NotFound)
}
