//! Starting the real service for a test, and asking its database what it stored.

use std::time::Duration;

use futures_util::StreamExt;
use ingest_api::Application;
use pathfinder_core::Settings;
use pathfinder_core::testing::TestDatabase;
use serde_json::Value;
use tokio_util::sync::CancellationToken;

pub struct TestApp {
    pub address: String,
    pub db: TestDatabase,
    pub http: reqwest::Client,
    shutdown: CancellationToken,
}

/// The app against a fresh migrated database, with extra env-style settings.
pub async fn spawn_app_with(extra: &[(&str, &str)]) -> TestApp {
    let db = TestDatabase::migrated().await;
    spawn_app_on(db, extra).await
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(&[]).await
}

/// The app against a given database (e.g. one on a private cluster).
pub async fn spawn_app_on(db: TestDatabase, extra: &[(&str, &str)]) -> TestApp {
    let settings = test_settings(&db.url, extra).expect("valid test settings");
    let shutdown = CancellationToken::new();
    let app = Application::build_with_shutdown(settings, shutdown.clone()).await.expect("app builds");
    let address = format!("http://127.0.0.1:{}", app.port());
    tokio::spawn(app.run_until_stopped());
    let http = reqwest::Client::builder().timeout(Duration::from_secs(30)).build().expect("http client");
    TestApp { address, db, http, shutdown }
}

pub fn test_settings(
    database_url: &str,
    extra: &[(&str, &str)],
) -> Result<Settings, pathfinder_core::settings::SettingsError> {
    let mut vars: Vec<(String, String)> = vec![
        ("DATABASE_URL".into(), database_url.into()),
        ("BIND_ADDR".into(), "127.0.0.1:0".into()),
        ("LOG_LEVEL".into(), "warn".into()),
        ("PATHFINDER_DATABASE__POOL_SIZE".into(), "4".into()),
        ("PATHFINDER_DATABASE__ACQUIRE_TIMEOUT_MS".into(), "1000".into()),
        ("PATHFINDER_DATABASE__CONNECT_TIMEOUT_MS".into(), "1000".into()),
        (
            "PATHFINDER_DELIVERY__TEMPLATES_DIR".into(),
            concat!(env!("CARGO_MANIFEST_DIR"), "/../../config/templates").into(),
        ),
    ];
    vars.extend(extra.iter().map(|(k, v)| (k.to_string(), v.to_string())));
    Settings::load_from(vars)
}

impl Drop for TestApp {
    fn drop(&mut self) {
        self.shutdown.cancel();
    }
}

/// A response's status, headers and JSON body.
pub struct Reply {
    pub status: u16,
    pub headers: reqwest::header::HeaderMap,
    pub json: Value,
}

impl Reply {
    pub fn code(&self) -> &str {
        self.json["error"]["code"].as_str().unwrap_or("")
    }

    pub fn event_id(&self) -> i64 {
        self.json["eventId"].as_i64().expect("eventId in the answer")
    }
}

impl TestApp {
    pub async fn post(&self, path: &str, headers: &[(&str, String)], body: impl Into<reqwest::Body>) -> Reply {
        let mut request = self.http.post(format!("{}{path}", self.address)).body(body);
        for (name, value) in headers {
            request = request.header(*name, value);
        }
        let response = request.send().await.expect("request sent");
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let bytes = response.bytes().await.expect("body");
        let json = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        Reply { status, headers, json }
    }

    /// `POST /webhooks/community` with a JSON body.
    pub async fn post_community(&self, body: &Value) -> Reply {
        self.post_json("/webhooks/community", &[], body.to_string()).await
    }

    pub async fn post_json(&self, path: &str, headers: &[(&str, String)], body: String) -> Reply {
        let mut all = vec![("content-type", "application/json".to_string())];
        all.extend(headers.iter().cloned());
        self.post(path, &all, body).await
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.http.get(format!("{}{path}", self.address)).send().await.expect("request sent")
    }

    pub async fn count_events(&self) -> i64 {
        let client = self.db.connect().await;
        client.query_one("SELECT count(*) FROM events_raw", &[]).await.expect("count").get(0)
    }

    /// Rows in `table` (a fixed name from the test, never input).
    pub async fn count_rows(&self, table: &str) -> i64 {
        let client = self.db.connect().await;
        client.query_one(&format!("SELECT count(*) AS count FROM {table}"), &[]).await.expect("count").get("count")
    }

    pub async fn sql(&self, statement: &str) {
        self.db.connect().await.batch_execute(statement).await.expect("sql");
    }
}

/// A seed-format body.
pub fn seed(user_id: &str, field: &str, value: Option<&str>) -> Value {
    serde_json::json!({"userId": user_id, "username": "member", "profileField": field, "value": value, "oldValue": null})
}

/// Listens on a channel and returns the first notification within `wait`, if any.
pub async fn listen_once(
    database_url: &str,
    channel: &str,
    ready: tokio::sync::oneshot::Sender<()>,
    wait: Duration,
) -> Option<String> {
    let (client, mut connection) = tokio_postgres::connect(database_url, tokio_postgres::NoTls).await.expect("connect");
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let mut messages = futures_util::stream::poll_fn(move |cx| connection.poll_message(cx));
    tokio::spawn(async move {
        while let Some(Ok(message)) = messages.next().await {
            if let tokio_postgres::AsyncMessage::Notification(n) = message {
                let _ = tx.send(n.channel().to_string());
            }
        }
    });
    client.batch_execute(&format!("LISTEN {channel}")).await.expect("listen");
    let _ = ready.send(());
    tokio::time::timeout(wait, rx.recv()).await.ok().flatten()
}

/// Starts the real classifier against the app's database (rules from config/, polling every 100 ms); cancel the
/// returned token to stop it.
pub async fn start_classifier(app: &TestApp) -> tokio_util::sync::CancellationToken {
    let shutdown = tokio_util::sync::CancellationToken::new();
    let rules = concat!(env!("CARGO_MANIFEST_DIR"), "/../../config/classification.toml");
    let settings =
        test_settings(&app.db.url, &[("RULES_PATH", rules), ("PATHFINDER_CLASSIFIER__POLL_INTERVAL_MS", "100")])
            .expect("settings");
    let classifier =
        classifier::Application::build_with_shutdown(settings, shutdown.clone()).await.expect("classifier");
    tokio::spawn(classifier.run_until_stopped());
    shutdown
}
