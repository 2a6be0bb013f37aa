//! The Discourse route with real-shaped `user_updated` deliveries.

use serde_json::{Value, json};

use crate::helpers::{spawn_app, spawn_app_with};

/// A `user_updated` body as Discourse sends it (trimmed of fields we never read, kept in shape).
pub fn user_updated(user_id: u64, title: Option<&str>) -> Value {
    let mut user_fields = serde_json::Map::new();
    user_fields.insert("2".into(), json!("Berlin"));
    if let Some(title) = title {
        user_fields.insert("1".into(), json!(title));
    }
    json!({
        "user": {
            "id": user_id,
            "username": "jdoe",
            "name": "Jane Doe",
            "avatar_template": "/user_avatar/forum.example.com/jdoe/{size}/3_2.png",
            "email": "jane@example.com",
            "secondary_emails": [],
            "last_posted_at": "2026-11-20T14:02:11.123Z",
            "last_seen_at": "2026-11-24T09:15:42.551Z",
            "created_at": "2024-03-01T10:00:00.000Z",
            "trust_level": 2,
            "moderator": false,
            "admin": false,
            "title": null,
            "badge_count": 4,
            "user_fields": user_fields,
            "custom_fields": {},
            "groups": [{"id": 10, "name": "trust_level_0"}]
        }
    })
}

pub fn discourse_headers(event: &str, delivery: u32) -> Vec<(&'static str, String)> {
    vec![
        ("x-discourse-instance", "https://forum.example.com".to_string()),
        ("x-discourse-event-id", delivery.to_string()),
        ("x-discourse-event-type", "user".to_string()),
        ("x-discourse-event", event.to_string()),
    ]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn user_updated_stores_the_configured_field() {
    let app = spawn_app().await;
    let reply = app
        .post_json(
            "/webhooks/discourse",
            &discourse_headers("user_updated", 1),
            user_updated(77, Some("VP of Engineering")).to_string(),
        )
        .await;
    assert_eq!(reply.status, 202, "{}", reply.json);
    let client = app.db.connect().await;
    let row = client
        .query_one(
            "SELECT source, user_id, username, profile_field, value, old_value FROM events_raw WHERE id = $1",
            &[&reply.event_id()],
        )
        .await
        .expect("row");
    assert_eq!(row.get::<_, String>(0), "discourse");
    assert_eq!(row.get::<_, String>(1), "77");
    assert_eq!(row.get::<_, Option<String>>(2).as_deref(), Some("jdoe"));
    assert_eq!(row.get::<_, String>(3), "Job Title");
    assert_eq!(row.get::<_, Option<String>>(4).as_deref(), Some("VP of Engineering"));
    assert_eq!(row.get::<_, Option<String>>(5), None);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn field_id_is_configurable() {
    let app = spawn_app_with(&[("PATHFINDER_DISCOURSE__JOB_TITLE_FIELD_ID", "2")]).await;
    let reply = app
        .post_json(
            "/webhooks/discourse",
            &discourse_headers("user_updated", 1),
            user_updated(5, Some("CEO")).to_string(),
        )
        .await;
    assert_eq!(reply.status, 202);
    let client = app.db.connect().await;
    let value: Option<String> =
        client.query_one("SELECT value FROM events_raw WHERE id = $1", &[&reply.event_id()]).await.expect("row").get(0);
    assert_eq!(value.as_deref(), Some("Berlin"), "field 2 was configured");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn retries_with_new_event_ids_are_duplicates_but_a_change_back_is_stored() {
    let app = spawn_app().await;
    let a = user_updated(9, Some("VP Sales")).to_string();
    let b = user_updated(9, Some("Chief Revenue Officer")).to_string();
    let post = |body: &String, delivery: u32| {
        let body = body.clone();
        let app = &app;
        async move { app.post_json("/webhooks/discourse", &discourse_headers("user_updated", delivery), body).await }
    };
    assert_eq!(post(&a, 1).await.status, 202);
    assert_eq!(post(&a, 2).await.status, 200, "a retry carries a new X-Discourse-Event-Id and the same body");
    assert_eq!(post(&b, 3).await.status, 202);
    let back = post(&a, 4).await;
    assert_eq!(back.status, 202, "A -> B -> A: the change back is a real event");
    assert_eq!(post(&a, 5).await.status, 200, "and its retry is a duplicate");
    let client = app.db.connect().await;
    let values: Vec<Option<String>> = client
        .query("SELECT value FROM events_raw WHERE user_id = '9' ORDER BY id", &[])
        .await
        .expect("rows")
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert_eq!(values, vec![Some("VP Sales".into()), Some("Chief Revenue Officer".into()), Some("VP Sales".into())]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cleared_title_is_stored_as_null() {
    let app = spawn_app().await;
    let reply = app
        .post_json("/webhooks/discourse", &discourse_headers("user_updated", 1), user_updated(3, None).to_string())
        .await;
    assert_eq!(reply.status, 202);
    let client = app.db.connect().await;
    let value: Option<String> =
        client.query_one("SELECT value FROM events_raw WHERE id = $1", &[&reply.event_id()]).await.expect("row").get(0);
    assert_eq!(value, None);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn other_events_and_profiles_without_fields_are_ignored() {
    let app = spawn_app().await;
    let ping =
        app.post_json("/webhooks/discourse", &discourse_headers("ping", 1), json!({"ping": "OK"}).to_string()).await;
    assert_eq!((ping.status, ping.json.clone()), (202, json!({"status": "ignored"})));
    let topic = app
        .post_json(
            "/webhooks/discourse",
            &discourse_headers("topic_created", 2),
            json!({"topic": {"id": 1}}).to_string(),
        )
        .await;
    assert_eq!(topic.json["status"], "ignored");
    let no_fields = app
        .post_json(
            "/webhooks/discourse",
            &discourse_headers("user_updated", 3),
            json!({"user": {"id": 1, "username": "x"}}).to_string(),
        )
        .await;
    assert_eq!(no_fields.json["status"], "ignored");
    assert_eq!(app.count_events().await, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn missing_event_header_or_bad_user_is_422() {
    let app = spawn_app().await;
    let reply = app.post_json("/webhooks/discourse", &[], user_updated(1, Some("CEO")).to_string()).await;
    assert_eq!((reply.status, reply.code()), (422, "invalid-field"));
    let reply = app
        .post_json("/webhooks/discourse", &discourse_headers("user_updated", 1), json!({"user": "nope"}).to_string())
        .await;
    assert_eq!(reply.status, 422);
    let reply = app
        .post_json(
            "/webhooks/discourse",
            &discourse_headers("user_updated", 1),
            json!({"user": {"user_fields": {"1": "CEO"}}}).to_string(),
        )
        .await;
    assert_eq!(reply.status, 422, "user.id is required");
    assert_eq!(app.count_events().await, 0);
}
