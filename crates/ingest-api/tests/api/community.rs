//! The generic route's happy paths: what is stored, what is ignored, and the wake-up NOTIFY.

use std::time::Duration;

use serde_json::json;

use crate::helpers::{listen_once, seed, spawn_app};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn accepted_event_is_committed_with_its_fields() {
    let app = spawn_app().await;
    let reply = app
        .post_community(&json!({"userId": "u-1", "username": "ada", "profileField": "Job Title",
                                "value": "Chief Executive Officer", "oldValue": "Engineer", "extra": {"ignored": true}}))
        .await;
    assert_eq!(reply.status, 202);
    assert_eq!(reply.json["status"], "accepted");
    let id = reply.event_id();
    let client = app.db.connect().await;
    let row = client
        .query_one(
            "SELECT source, user_id, username, profile_field, value, old_value, status FROM events_raw WHERE id = $1",
            &[&id],
        )
        .await
        .expect("the row is committed before the answer");
    let got: (String, String, Option<String>, String, Option<String>, Option<String>, String) =
        (row.get(0), row.get(1), row.get(2), row.get(3), row.get(4), row.get(5), row.get(6));
    assert_eq!(
        got,
        (
            "community".into(),
            "u-1".into(),
            Some("ada".into()),
            "Job Title".into(),
            Some("Chief Executive Officer".into()),
            Some("Engineer".into()),
            "pending".into()
        )
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn numeric_user_id_and_null_value_are_stored() {
    let app = spawn_app().await;
    let reply =
        app.post_community(&json!({"userId": 9007199254740993_u64, "profileField": "Title", "value": null})).await;
    assert_eq!(reply.status, 202, "{}", reply.json);
    let client = app.db.connect().await;
    let row = client
        .query_one("SELECT user_id, value, username FROM events_raw WHERE id = $1", &[&reply.event_id()])
        .await
        .expect("row");
    assert_eq!(row.get::<_, String>(0), "9007199254740993");
    assert_eq!(row.get::<_, Option<String>>(1), None);
    assert_eq!(row.get::<_, Option<String>>(2), None);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unregistered_field_is_ignored_and_stores_nothing() {
    let app = spawn_app().await;
    let reply = app.post_community(&seed("u-2", "Favourite Colour", Some("Blue"))).await;
    assert_eq!(reply.status, 202);
    assert_eq!(reply.json, json!({"status": "ignored"}));
    assert_eq!(app.count_events().await, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn registry_matches_case_insensitively_and_is_editable_at_runtime() {
    let app = spawn_app().await;
    for field in ["job title", "POSITION", "  Title  "] {
        let reply = app.post_community(&seed(field, field, Some("VP Sales"))).await;
        assert_eq!(reply.status, 202, "{field}");
        assert_eq!(reply.json["status"], "accepted", "{field}");
    }
    assert_eq!(app.post_community(&seed("u-3", "Role", Some("CTO"))).await.json["status"], "ignored");
    app.sql("INSERT INTO field_registry (field_name) VALUES ('Role')").await;
    assert_eq!(app.post_community(&seed("u-3", "Role", Some("CTO"))).await.json["status"], "accepted");
    app.sql("UPDATE field_registry SET enabled = false WHERE field_name = 'Position'").await;
    assert_eq!(app.post_community(&seed("u-4", "Position", Some("CTO"))).await.json["status"], "ignored");
    assert_eq!(app.count_events().await, 4);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_event_wakes_listeners_with_notify() {
    let app = spawn_app().await;
    let (ready_tx, ready_rx) = tokio::sync::oneshot::channel();
    let url = app.db.url.clone();
    let listener =
        tokio::spawn(async move { listen_once(&url, "pathfinder_events", ready_tx, Duration::from_secs(10)).await });
    ready_rx.await.expect("listening");
    assert_eq!(app.post_community(&seed("u-5", "Job Title", Some("CFO"))).await.status, 202);
    assert_eq!(listener.await.expect("listener task"), Some("pathfinder_events".to_string()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_route_answers_404_in_the_error_shape() {
    let app = spawn_app().await;
    let reply = app.post_json("/webhooks/nowhere", &[], "{}".into()).await;
    assert_eq!(reply.status, 404);
    assert_eq!(reply.code(), "not-found");
}
