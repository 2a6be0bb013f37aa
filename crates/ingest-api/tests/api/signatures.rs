//! With WEBHOOK_SECRETS (Standard Webhooks) and WEBHOOK_RAW_SECRETS (GitHub style, Discourse) set: valid, wrong,
//! truncated, stale, future and rotated signatures, on both routes.

use ingest_api::signature::sign;
use serde_json::json;

use crate::helpers::{TestApp, spawn_app_with};

/// Standard Webhooks secrets while rotating: prefixed, and bare unpadded base64.
const OLD: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
const NEW: &str = "cm90YXRlZC1zZWNyZXQtMjAyNg";
/// GitHub-style / Discourse secrets while rotating (raw text).
const RAW_OLD: &str = "gh-old-secret";
const RAW_NEW: &str = "rotated-secret-2026";

async fn signed_app() -> TestApp {
    spawn_app_with(&[
        ("WEBHOOK_SECRETS", &format!("{OLD},{NEW}")),
        ("WEBHOOK_RAW_SECRETS", &format!("{RAW_OLD},{RAW_NEW}")),
    ])
    .await
}

fn body(user: &str) -> String {
    json!({"userId": user, "profileField": "Job Title", "value": "Chief Financial Officer"}).to_string()
}

fn standard(secret: &str, id: &str, ts: i64, body: &str) -> Vec<(&'static str, String)> {
    vec![
        ("webhook-id", id.to_string()),
        ("webhook-timestamp", ts.to_string()),
        ("webhook-signature", sign::standard(secret, id, ts, body.as_bytes())),
    ]
}

fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn valid_signatures_of_either_style_and_either_secret_are_accepted() {
    let app = signed_app().await;
    for (n, (secret, raw)) in [(OLD, RAW_OLD), (NEW, RAW_NEW)].into_iter().enumerate() {
        let b = body(&format!("std-{n}"));
        let reply =
            app.post_json("/webhooks/community", &standard(secret, &format!("msg_{n}"), now(), &b), b.clone()).await;
        assert_eq!(reply.status, 202, "standard webhooks, secret {n}: {}", reply.json);
        let b = body(&format!("gh-{n}"));
        let headers = vec![("x-hub-signature-256", sign::hex_sha256(raw, b.as_bytes()))];
        assert_eq!(app.post_json("/webhooks/community", &headers, b).await.status, 202, "github, secret {n}");
    }
    assert_eq!(app.count_events().await, 4);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn missing_wrong_and_truncated_signatures_get_401_and_store_nothing() {
    let app = signed_app().await;
    let b = body("x");
    let missing = app.post_json("/webhooks/community", &[], b.clone()).await;
    assert_eq!((missing.status, missing.code()), (401, "missing-signature"));

    let wrong = app
        .post_json("/webhooks/community", &standard("whsec_bm90LW91ci1zZWNyZXQ", "msg_1", now(), &b), b.clone())
        .await;
    assert_eq!((wrong.status, wrong.code()), (401, "invalid-signature"));

    let mut truncated = standard(NEW, "msg_1", now(), &b);
    truncated[2].1.truncate(20);
    let reply = app.post_json("/webhooks/community", &truncated, b.clone()).await;
    assert_eq!((reply.status, reply.code()), (401, "invalid-signature"));

    let empty = vec![("x-hub-signature-256", "sha256=".to_string())];
    assert_eq!(app.post_json("/webhooks/community", &empty, b.clone()).await.status, 401);

    let gh = sign::hex_sha256(RAW_NEW, b.as_bytes());
    let short = vec![("x-hub-signature-256", gh[..gh.len() - 1].to_string())];
    assert_eq!(app.post_json("/webhooks/community", &short, b.clone()).await.status, 401);

    let tampered = vec![("x-hub-signature-256", gh)];
    assert_eq!(app.post_json("/webhooks/community", &tampered, body("someone-else")).await.status, 401);
    assert_eq!(app.count_events().await, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stale_and_future_timestamps_get_401() {
    let app = signed_app().await;
    let b = body("t");
    for skew in [-301, 301, -3600] {
        let reply = app.post_json("/webhooks/community", &standard(NEW, "msg_t", now() + skew, &b), b.clone()).await;
        assert_eq!((reply.status, reply.code()), (401, "stale-timestamp"), "skew {skew}");
    }
    for skew in [-240, 240] {
        let reply = app
            .post_json("/webhooks/community", &standard(NEW, &format!("msg_{skew}"), now() + skew, &b), b.clone())
            .await;
        assert_eq!(reply.status, 202, "skew {skew} is inside the 5-minute tolerance");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn signature_is_checked_before_the_body_is_parsed() {
    let app = signed_app().await;
    let reply = app.post_json("/webhooks/community", &[], "{not json".to_string()).await;
    assert_eq!(reply.status, 401, "an unsigned sender learns nothing about our parser");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn discourse_route_checks_its_own_header() {
    let app = signed_app().await;
    let b = json!({"user": {"id": 1, "username": "a", "user_fields": {"1": "CEO"}}}).to_string();
    let good = vec![
        ("x-discourse-event", "user_updated".to_string()),
        ("x-discourse-event-signature", sign::hex_sha256(RAW_OLD, b.as_bytes())),
    ];
    assert_eq!(app.post_json("/webhooks/discourse", &good, b.clone()).await.status, 202);
    let bad = vec![
        ("x-discourse-event", "user_updated".to_string()),
        ("x-discourse-event-signature", sign::hex_sha256("other", b.as_bytes())),
    ];
    assert_eq!(app.post_json("/webhooks/discourse", &bad, b.clone()).await.status, 401);
    let missing = vec![("x-discourse-event", "user_updated".to_string())];
    let reply = app.post_json("/webhooks/discourse", &missing, b).await;
    assert_eq!((reply.status, reply.code()), (401, "missing-signature"));
    assert_eq!(app.count_events().await, 1);
}
