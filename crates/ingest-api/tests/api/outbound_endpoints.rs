//! The admin API of outbound webhook endpoints: add (the secret shown once), refusals with stable codes and nothing
//! stored, list without secrets, rotate, deliveries, resend, remove; all behind the admin token.

use serde_json::json;

use crate::helpers::spawn_app_with;

const TOKEN: &str = "admin-token-for-outbound-tests";

fn auth() -> Vec<(&'static str, String)> {
    vec![("authorization", format!("Bearer {TOKEN}"))]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn endpoints_are_managed_through_the_admin_api() {
    let app = spawn_app_with(&[("ADMIN_TOKEN", TOKEN), ("PATHFINDER_OUTBOUND__ALLOW_PRIVATE_TARGETS", "true")]).await;
    let body = json!({"url": "http://127.0.0.1:9/hook", "events": ["detection.created"], "description": "CRM"});
    assert_eq!(app.post_json("/admin/endpoints", &[], body.to_string()).await.status, 401, "token needed");
    let added = app.post_json("/admin/endpoints", &auth(), body.to_string()).await;
    assert_eq!(added.status, 201, "{}", added.json);
    let id = added.json["id"].as_i64().expect("id");
    let secret = added.json["secret"].as_str().expect("secret shown once").to_owned();
    assert!(secret.starts_with("whsec_"));
    assert_eq!(added.json["events"], json!(["detection.created"]));

    let listed: serde_json::Value = app
        .http
        .get(format!("{}/admin/endpoints", app.address))
        .bearer_auth(TOKEN)
        .send()
        .await
        .expect("list")
        .json()
        .await
        .expect("JSON");
    assert_eq!(listed[0]["id"], id);
    assert!(!listed.to_string().contains(&secret) && listed[0].get("secret").is_none(), "never listed");

    let rotated = app.post(&format!("/admin/endpoints/{id}/rotate-secret"), &auth(), "").await;
    assert_eq!(rotated.status, 200);
    assert_ne!(rotated.json["secret"], json!(secret));

    app.sql(
        "INSERT INTO detections (event_id, user_id, title, seniority, kind, rule, rules_version)
         VALUES (1, 'm1', 'CEO', 'c_suite', 'new', 'chief-executive', 'v1')",
    )
    .await;
    let deliveries: serde_json::Value = app
        .http
        .get(format!("{}/admin/endpoints/{id}/deliveries?status=pending&limit=5", app.address))
        .bearer_auth(TOKEN)
        .send()
        .await
        .expect("deliveries")
        .json()
        .await
        .expect("JSON");
    assert_eq!(deliveries.as_array().map(Vec::len), Some(1), "{deliveries}");
    assert_eq!(deliveries[0]["eventType"], "detection.created");
    let delivery = deliveries[0]["id"].as_i64().expect("delivery id");
    let resent = app.post(&format!("/admin/outbound-deliveries/{delivery}/resend"), &auth(), "").await;
    assert_eq!((resent.status, resent.json["wasStatus"].as_str()), (202, Some("pending")));
    let missing = app.post("/admin/outbound-deliveries/999999/resend", &auth(), "").await;
    assert_eq!((missing.status, missing.code()), (404, "delivery-not-found"));

    let removed = app.http.delete(format!("{}/admin/endpoints/{id}", app.address)).bearer_auth(TOKEN).send().await;
    let removed: serde_json::Value = removed.expect("delete").json().await.expect("JSON");
    assert_eq!(removed, json!({"status": "removed", "deliveriesDeleted": 1}));
    let again = app.post(&format!("/admin/endpoints/{id}/enable"), &auth(), "").await;
    assert_eq!((again.status, again.code()), (404, "endpoint-not-found"));
    let audited: i64 = app
        .db
        .connect()
        .await
        .query_one("SELECT count(*) FROM audit_log WHERE kind LIKE 'outbound.%' AND actor = 'admin'", &[])
        .await
        .expect("audit")
        .get(0);
    assert_eq!(audited, 4, "added, secret rotated, delivery resent, removed");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_endpoints_are_refused_with_a_code_and_nothing_is_stored() {
    let app = spawn_app_with(&[("ADMIN_TOKEN", TOKEN)]).await;
    for (body, status, code) in [
        (json!({"url": "http://127.0.0.1/hook"}), 422, "private-target-refused"),
        (json!({"url": "http://169.254.169.254/latest"}), 422, "private-target-refused"),
        (json!({"url": "http://localhost:8080/"}), 422, "private-target-refused"),
        (json!({"url": "ftp://example.com/"}), 422, "invalid-endpoint-url"),
        (json!({"url": "https://example.com/", "events": ["detection.deleted"]}), 422, "invalid-field"),
        (json!({"url": "https://example.com/", "secret": "mine"}), 422, "invalid-field"),
        (json!({"url": "https://example.com/", "description": "a\u{0}b"}), 422, "invalid-description"),
    ] {
        let reply = app.post_json("/admin/endpoints", &auth(), body.to_string()).await;
        assert_eq!((reply.status, reply.code()), (status, code), "{body}: {}", reply.json);
    }
    let reply = app.post_json("/admin/endpoints", &auth(), "{not json".into()).await;
    assert_eq!((reply.status, reply.code()), (400, "malformed-json"));
    let stored: i64 =
        app.db.connect().await.query_one("SELECT count(*) FROM outbound_endpoints", &[]).await.expect("n").get(0);
    assert_eq!(stored, 0);
}
