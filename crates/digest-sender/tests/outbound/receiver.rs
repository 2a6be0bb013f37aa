//! The receiver fake, started for one test: tests/fakes/webhook_receiver.py run by the .venv's Python, so requests
//! are verified by the official `standardwebhooks` library.

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};

use serde_json::Value;

pub struct Receiver {
    child: Child,
    pub port: u16,
    http: reqwest::Client,
}

impl Receiver {
    pub fn start() -> Self {
        let script = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/fakes/webhook_receiver.py"));
        let python = pathfinder_core::testing::python_tool("python3");
        let mut child = Command::new(&python)
            .arg(script)
            .args(["--port", "0", "--quiet"])
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap_or_else(|e| panic!("start the webhook receiver with {}: {e}", python.display()));
        let mut line = String::new();
        BufReader::new(child.stdout.take().expect("stdout")).read_line(&mut line).expect("receiver's first line");
        let port = line.trim().strip_prefix("listening on ").and_then(|p| p.parse().ok()).expect("listening on PORT");
        Self { child, port, http: reqwest::Client::new() }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    async fn control(&self, path_and_query: &str, body: Option<Value>) -> Value {
        let request = self.http.post(self.url(path_and_query));
        let request = match body {
            Some(body) => request.json(&body),
            None => request,
        };
        request.send().await.expect("receiver control").json().await.expect("control JSON")
    }

    /// The secrets the receiver verifies with.
    pub async fn secrets(&self, secrets: &[&str]) {
        self.control("/_fake/secrets", Some(serde_json::json!(secrets))).await;
    }

    /// Starts a failure (`count=N&status=503`, `seconds=N`, `match=TEXT`).
    pub async fn fail(&self, query: &str) {
        self.control(&format!("/_fake/fail?{query}"), None).await;
    }

    pub async fn recover(&self) {
        self.control("/_fake/recover", None).await;
    }

    /// Every request the receiver got, in arrival order.
    pub async fn requests(&self) -> Vec<Value> {
        let all: Value =
            self.http.get(self.url("/_fake/deliveries")).send().await.expect("deliveries").json().await.expect("JSON");
        all.as_array().cloned().unwrap_or_default()
    }
}

impl Drop for Receiver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
