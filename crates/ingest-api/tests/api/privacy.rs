//! DELETE /admin/members/{userId} and GET /admin/audit: tokens, parameters, erasure through the API, and opt-out
//! (an opted-out member's next webhook stores nothing; a member erased without opt-out is processed again).

use reqwest::Method;
use serde_json::Value;

use crate::helpers::{TestApp, seed, spawn_app, spawn_app_with};

const TOKEN: &str = "privacy-admin-token-0123456789";

async fn call(app: &TestApp, method: Method, path: &str, token: Option<&str>) -> (u16, Value) {
    let mut request = app.http.request(method, format!("{}{path}", app.address));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let response = request.send().await.expect("request");
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn privacy_routes_need_the_token_and_do_not_exist_without_one() {
    let closed = spawn_app().await;
    for (method, path) in [(Method::DELETE, "/admin/members/42"), (Method::GET, "/admin/audit")] {
        let (status, body) = call(&closed, method.clone(), path, Some(TOKEN)).await;
        assert_eq!((status, body["error"]["code"].as_str()), (404, Some("not-found")), "{method} {path}");
    }
    let app = spawn_app_with(&[("ADMIN_TOKEN", TOKEN)]).await;
    app.post_community(&seed("42", "Job Title", Some("CEO"))).await;
    for (method, path) in [(Method::DELETE, "/admin/members/42"), (Method::GET, "/admin/audit")] {
        for token in [None, Some("wrong-token"), Some(&TOKEN[..TOKEN.len() - 1])] {
            let (status, body) = call(&app, method.clone(), path, token).await;
            assert_eq!((status, body["error"]["code"].as_str()), (401, Some("unauthorized")), "{method} {path}");
        }
    }
    assert_eq!(app.count_events().await, 1, "a refused erasure removed nothing");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_parameters_get_a_422_naming_them() {
    let app = spawn_app_with(&[("ADMIN_TOKEN", TOKEN)]).await;
    let long_id = "x".repeat(257);
    let cases = [
        (Method::DELETE, "/admin/members/42?optOut=yes".to_string(), "optOut"),
        (Method::DELETE, "/admin/members/42?purge=true".to_string(), "purge"),
        (Method::DELETE, format!("/admin/members/{long_id}"), "userId"),
        (Method::DELETE, "/admin/members/%20%20".to_string(), "userId"),
        (Method::GET, "/admin/audit?limit=0".to_string(), "limit"),
        (Method::GET, "/admin/audit?limit=1001".to_string(), "limit"),
        (Method::GET, "/admin/audit?since=yesterday".to_string(), "since"),
        (Method::GET, "/admin/audit?kind=DROP%20TABLE".to_string(), "kind"),
        (Method::GET, "/admin/audit?order=asc".to_string(), "order"),
    ];
    for (method, path, named) in cases {
        let (status, body) = call(&app, method.clone(), &path, Some(TOKEN)).await;
        assert_eq!(status, 422, "{method} {path}: {body}");
        assert_eq!(body["error"]["code"], "invalid-field");
        assert!(body["error"]["message"].as_str().unwrap_or("").contains(named), "{path}: {body}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn erasure_without_opt_out_removes_the_member_and_later_webhooks_still_count() {
    let app = spawn_app_with(&[("ADMIN_TOKEN", TOKEN), ("PATHFINDER_ADMIN__TOKEN_LABEL", "dpo-team")]).await;
    app.post_community(&seed("m-1", "Job Title", Some("VP of Sales"))).await;
    app.post_community(&seed("m-1", "Job Title", Some("Chief Executive Officer"))).await;
    app.post_community(&seed("m-2", "Job Title", Some("CTO"))).await;
    let (status, body) = call(&app, Method::DELETE, "/admin/members/m-1", Some(TOKEN)).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["status"], "erased");
    assert_eq!(body["removed"]["events"], 2);
    assert_eq!(body["removed"]["dedupeKeys"], 2);
    assert_eq!(body["removed"]["optedOut"], false);
    assert_eq!(app.count_events().await, 1, "only m-2's event is left");

    let again = app.post_community(&seed("m-1", "Job Title", Some("Chief Executive Officer"))).await;
    assert_eq!((again.status, again.json["status"].as_str()), (202, Some("accepted")), "erasure is not a block list");

    let (status, audit) = call(&app, Method::GET, "/admin/audit?kind=member", Some(TOKEN)).await;
    assert_eq!(status, 200);
    let entries = audit.as_array().expect("array");
    assert_eq!(entries.len(), 1);
    assert_eq!(entries[0]["kind"], "member.erased");
    assert_eq!(entries[0]["actor"], "dpo-team", "the token's label, never the token");
    assert_ne!(entries[0]["subject"], "m-1", "a salted hash, never the id");
    assert_eq!(entries[0]["subject"].as_str().map(str::len), Some(64));
    assert!(!audit.to_string().contains(TOKEN));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_opted_out_members_next_webhook_stores_nothing() {
    let app = spawn_app_with(&[("ADMIN_TOKEN", TOKEN)]).await;
    app.post_community(&seed("opt-1", "Job Title", Some("VP of Sales"))).await;
    let (status, body) = call(&app, Method::DELETE, "/admin/members/opt-1?optOut=true", Some(TOKEN)).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["removed"]["optedOut"], true);
    assert_eq!(app.count_events().await, 0);

    for title in ["Chief Executive Officer", "VP of Marketing"] {
        let reply = app.post_community(&seed("opt-1", "Job Title", Some(title))).await;
        assert_eq!((reply.status, reply.json["status"].as_str()), (202, Some("ignored")), "{}", reply.json);
    }
    let numeric = serde_json::json!({"userId": 777, "profileField": "Job Title", "value": "CFO", "oldValue": null});
    let (status, _) = call(&app, Method::DELETE, "/admin/members/777?optOut=true", Some(TOKEN)).await;
    assert_eq!(status, 200);
    let reply = app.post_community(&numeric).await;
    assert_eq!(reply.json["status"], "ignored", "a numeric userId is the same member as its string form");
    let client = app.db.connect().await;
    for table in ["events_raw", "webhook_deliveries"] {
        let count: i64 = client.query_one(&format!("SELECT count(*) FROM {table}"), &[]).await.expect("count").get(0);
        assert_eq!(count, 0, "{table} holds nothing of opted-out members");
    }
    let other = app.post_community(&seed("opt-2", "Job Title", Some("CFO"))).await;
    assert_eq!(other.json["status"], "accepted", "other members are unaffected");
    let opted: i64 = client.query_one("SELECT count(*) FROM member_opt_outs", &[]).await.expect("count").get(0);
    assert_eq!(opted, 4, "two members, each opted out on both sources (no source named)");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn admin_actions_are_recorded_with_the_token_label() {
    let app = spawn_app_with(&[("ADMIN_TOKEN", TOKEN), ("PATHFINDER_ADMIN__TOKEN_LABEL", "ops")]).await;
    let (status, _) = call(&app, Method::POST, "/admin/generate-reports", Some(TOKEN)).await;
    assert_eq!(status, 202);
    let (status, _) = call(&app, Method::POST, "/admin/send-digests", Some(TOKEN)).await;
    assert_eq!(status, 202);
    let (_, audit) = call(&app, Method::GET, "/admin/audit?kind=admin&limit=10", Some(TOKEN)).await;
    let kinds: Vec<(&str, &str)> = audit
        .as_array()
        .expect("array")
        .iter()
        .map(|e| (e["kind"].as_str().unwrap_or(""), e["actor"].as_str().unwrap_or("")))
        .collect();
    assert_eq!(kinds, vec![("admin.send-digests", "ops"), ("admin.generate-report", "ops")], "newest first");
    let (_, since) = call(&app, Method::GET, "/admin/audit?since=2999-01-01T00:00:00Z", Some(TOKEN)).await;
    assert_eq!(since, serde_json::json!([]));
}
