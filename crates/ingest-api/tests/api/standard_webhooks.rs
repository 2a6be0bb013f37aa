//! Interoperability with the official Standard Webhooks library (PyPI `standardwebhooks`, in the project's .venv):
//! deliveries it signs with secrets written every way a sender shows them (prefixed or not, padded or not), with
//! several signatures in one header and across a rotation, are accepted by the running ingest-api; and the library
//! verifies what our own signer produces.

use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Stdio};

use ingest_api::signature::sign;
use serde_json::{Value, json};

use crate::helpers::spawn_app_with;

/// Four keys, each configured in a different form (rotation keeps all four valid).
const CONFIGURED: [&str; 4] = [
    "whsec_aW50ZXJvcC1rZXktb25lISE=", // prefixed, padded
    "aW50ZXJvcC1rZXktdHdvIQ",         // unprefixed, unpadded
    "whsec_aW50ZXJvcC1rZXktdGhyZWU",  // prefixed, unpadded
    "aW50ZXJvcC1rZXktZm91ciEhIQ==",   // unprefixed, padded
];

/// The same four keys as the signer is given them: each in a form other than the configured one.
const SIGNER_FORMS: [&str; 4] = [
    "aW50ZXJvcC1rZXktb25lISE",
    "whsec_aW50ZXJvcC1rZXktdHdvIQ==",
    "aW50ZXJvcC1rZXktdGhyZWU=",
    "whsec_aW50ZXJvcC1rZXktZm91ciEhIQ",
];

/// A key that is not configured (a retired or foreign secret).
const FOREIGN: &str = "whsec_Zm9yZWlnbi1rZXk";

fn python() -> PathBuf {
    let root = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."));
    let python = root.join(".venv/bin/python");
    assert!(
        python.exists(),
        "{} is missing: scripts/test.sh creates it from tests/python-requirements.txt",
        python.display()
    );
    python
}

/// Runs tests/interop/standardwebhooks_sign.py with `request` on stdin.
fn official_library(request: &Value) -> Value {
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/interop/standardwebhooks_sign.py");
    let mut child = Command::new(python())
        .arg(script)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start the standardwebhooks signer");
    child.stdin.take().expect("stdin").write_all(request.to_string().as_bytes()).expect("write the request");
    let output = child.wait_with_output().expect("signer output");
    assert!(output.status.success(), "signer failed: {}", String::from_utf8_lossy(&output.stderr));
    serde_json::from_slice(&output.stdout).expect("signer JSON")
}

fn body(user: &str) -> String {
    json!({"userId": user, "profileField": "Job Title", "value": "Chief Operating Officer"}).to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deliveries_signed_by_the_official_library_are_accepted() {
    let app = spawn_app_with(&[("WEBHOOK_SECRETS", &CONFIGURED.join(","))]).await;
    let now = chrono::Utc::now().timestamp();
    let mut vectors: Vec<Value> = SIGNER_FORMS
        .iter()
        .enumerate()
        .map(|(n, secret)| json!({"secret": secret, "id": format!("msg_lib_{n}"), "timestamp": now, "body": body(&format!("lib-{n}"))}))
        .collect();
    // Several signatures in one header: a foreign one first, then one by a configured key.
    vectors.push(json!({"secret": FOREIGN, "id": "msg_multi", "timestamp": now, "body": body("multi")}));
    vectors.push(json!({"secret": SIGNER_FORMS[1], "id": "msg_multi", "timestamp": now, "body": body("multi")}));
    // A retired key alone.
    vectors.push(json!({"secret": FOREIGN, "id": "msg_foreign", "timestamp": now, "body": body("foreign")}));
    let signed = official_library(&json!({"sign": vectors}));
    let signatures: Vec<String> = signed["signatures"]
        .as_array()
        .expect("signatures")
        .iter()
        .map(|s| s.as_str().expect("signature").to_string())
        .collect();

    let post = |id: &str, signature: String, body: String| {
        let headers = vec![
            ("webhook-id", id.to_string()),
            ("webhook-timestamp", now.to_string()),
            ("webhook-signature", signature),
        ];
        let app = &app;
        async move { app.post_json("/webhooks/community", &headers, body).await }
    };
    for n in 0..SIGNER_FORMS.len() {
        let reply = post(&format!("msg_lib_{n}"), signatures[n].clone(), body(&format!("lib-{n}"))).await;
        assert_eq!(reply.status, 202, "key {n} signed as {:?}, configured as {:?}", SIGNER_FORMS[n], CONFIGURED[n]);
    }
    let several = format!("{} {}", signatures[4], signatures[5]);
    assert_eq!(post("msg_multi", several, body("multi")).await.status, 202, "several signatures in one header");
    let reply = post("msg_foreign", signatures[6].clone(), body("foreign")).await;
    assert_eq!((reply.status, reply.code()), (401, "invalid-signature"), "a key that is not configured");
    assert_eq!(app.count_events().await, 5);
}

#[test]
fn the_official_library_verifies_what_we_sign() {
    let now = chrono::Utc::now().timestamp();
    let payload = body("ours");
    let verify: Vec<Value> = CONFIGURED
        .iter()
        .zip(SIGNER_FORMS)
        .map(|(ours, theirs)| {
            let headers = json!({
                "webhook-id": "msg_ours",
                "webhook-timestamp": now.to_string(),
                "webhook-signature": sign::standard(ours, "msg_ours", now, payload.as_bytes()),
            });
            json!({"secret": theirs, "headers": headers, "body": payload})
        })
        .collect();
    let answer = official_library(&json!({"verify": verify}));
    assert_eq!(answer["verified"], json!([true, true, true, true]));
}
