//! Every error status of the contract, each with its code, and nothing stored for any of them.

use serde_json::json;

use crate::helpers::spawn_app;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invalid_fields_get_422_and_store_nothing() {
    let app = spawn_app().await;
    let long = "x".repeat(1025);
    let cases = vec![
        ("array body", json!([1, 2])),
        ("missing userId", json!({"profileField": "Title", "value": "CEO"})),
        ("boolean userId", json!({"userId": true, "profileField": "Title", "value": "CEO"})),
        ("float userId", json!({"userId": 1.5, "profileField": "Title", "value": "CEO"})),
        ("huge userId", json!({"userId": 1e300, "profileField": "Title", "value": "CEO"})),
        ("empty userId", json!({"userId": "  ", "profileField": "Title", "value": "CEO"})),
        ("object userId", json!({"userId": {"id": 1}, "profileField": "Title", "value": "CEO"})),
        ("missing profileField", json!({"userId": "1", "value": "CEO"})),
        ("empty profileField", json!({"userId": "1", "profileField": "", "value": "CEO"})),
        ("numeric profileField", json!({"userId": "1", "profileField": 7, "value": "CEO"})),
        ("missing value", json!({"userId": "1", "profileField": "Title"})),
        ("numeric value", json!({"userId": "1", "profileField": "Title", "value": 12})),
        ("NUL in value", json!({"userId": "1", "profileField": "Title", "value": "CE\u{0}O"})),
        ("NUL in userId", json!({"userId": "a\u{0}b", "profileField": "Title", "value": "CEO"})),
        ("too long value", json!({"userId": "1", "profileField": "Title", "value": long})),
        ("array username", json!({"userId": "1", "username": ["a"], "profileField": "Title", "value": "CEO"})),
        ("numeric oldValue", json!({"userId": "1", "profileField": "Title", "value": "CEO", "oldValue": 3})),
    ];
    for (name, body) in cases {
        let reply = app.post_community(&body).await;
        assert_eq!(reply.status, 422, "{name}: {}", reply.json);
        assert_eq!(reply.code(), "invalid-field", "{name}");
        assert!(!reply.json["error"]["message"].as_str().unwrap_or("").is_empty(), "{name}");
    }
    assert_eq!(app.count_events().await, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_json_gets_400() {
    let app = spawn_app().await;
    let nested = format!("{}{}", "[".repeat(10_000), "]".repeat(10_000));
    for body in ["{bad", "", "{\"userId\": \"1\",", "\"\\ud800\"", nested.as_str(), "{\"a\":1} trailing"] {
        let reply = app.post_json("/webhooks/community", &[], body.to_string()).await;
        assert_eq!(reply.status, 400, "{body:.40}");
        assert_eq!(reply.code(), "malformed-json");
    }
    let reply = app
        .post("/webhooks/community", &[("content-type", "application/json".into())], vec![0xff_u8, 0xfe, 0x7b])
        .await;
    assert_eq!(reply.status, 400, "invalid UTF-8");
    assert_eq!(app.count_events().await, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_or_missing_content_type_gets_415() {
    let app = spawn_app().await;
    let body = json!({"userId": "1", "profileField": "Title", "value": "CEO"}).to_string();
    for content_type in [Some("text/plain"), Some("application/x-www-form-urlencoded"), Some("application/jsonx"), None]
    {
        let headers: Vec<(&str, String)> =
            content_type.map(|c| vec![("content-type", c.to_string())]).unwrap_or_default();
        let reply = app.post("/webhooks/community", &headers, body.clone()).await;
        assert_eq!(reply.status, 415, "{content_type:?}");
        assert_eq!(reply.code(), "unsupported-media-type");
    }
    let ok = app.post("/webhooks/community", &[("content-type", "application/json; charset=utf-8".into())], body).await;
    assert_eq!(ok.status, 202, "charset parameter is fine");
    assert_eq!(app.count_events().await, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bodies_over_64_kib_get_413() {
    let app = spawn_app().await;
    let padding = "p".repeat(64 * 1024);
    let body = json!({"userId": "1", "profileField": "Title", "value": "CEO", "padding": padding}).to_string();
    let reply = app.post_json("/webhooks/community", &[], body).await;
    assert_eq!(reply.status, 413);
    assert_eq!(reply.code(), "payload-too-large");
    // Streamed without a Content-Length: the limit holds while reading.
    let chunks: Vec<Result<Vec<u8>, std::io::Error>> = (0..80).map(|_| Ok(vec![b' '; 1024])).collect();
    let stream = reqwest::Body::wrap_stream(futures_util::stream::iter(chunks));
    let reply = app.post("/webhooks/community", &[("content-type", "application/json".into())], stream).await;
    assert_eq!(reply.status, 413);
    assert_eq!(app.count_events().await, 0);
}
