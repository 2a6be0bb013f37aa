//! The admin API: 404 without ADMIN_TOKEN, 401 without the right bearer token; POST /admin/send-digests queues a
//! manual digest run (202 with its id) whose status GET /admin/digest-requests/{id} reads; stats, reports, recent
//! detections.

use crate::helpers::{spawn_app, spawn_app_with};

const TOKEN: &str = "admin-token-for-tests-0123456789";

async fn post_admin(app: &crate::helpers::TestApp, authorization: Option<&str>) -> crate::helpers::Reply {
    let headers: Vec<(&str, String)> =
        authorization.map(|a| vec![("authorization", a.to_string())]).unwrap_or_default();
    app.post("/admin/send-digests", &headers, "").await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn admin_routes_do_not_exist_without_a_token() {
    let app = spawn_app().await;
    let reply = post_admin(&app, Some(&format!("Bearer {TOKEN}"))).await;
    assert_eq!((reply.status, reply.code()), (404, "not-found"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn send_digests_needs_the_right_bearer_token() {
    let app = spawn_app_with(&[("ADMIN_TOKEN", TOKEN)]).await;
    for authorization in [None, Some("Bearer wrong"), Some(&format!("Basic {TOKEN}")[..]), Some("Bearer "), Some(TOKEN)]
    {
        let reply = post_admin(&app, authorization).await;
        assert_eq!((reply.status, reply.code()), (401, "unauthorized"), "{authorization:?}");
    }
    let truncated = format!("Bearer {}", &TOKEN[..TOKEN.len() - 1]);
    assert_eq!(post_admin(&app, Some(&truncated)).await.status, 401, "a prefix of the token is not the token");
    assert_eq!(app.count_rows("digest_requests").await, 0, "nothing was queued for the refused calls");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn send_digests_queues_a_run_whose_status_can_be_read() {
    let app = spawn_app_with(&[("ADMIN_TOKEN", TOKEN), ("PATHFINDER_ADMIN__TOKEN_LABEL", "ops")]).await;
    app.sql(
        "INSERT INTO detections (event_id, user_id, title, seniority, kind, rule, rules_version)
         SELECT g, 'm' || g, 'VP Sales', 'vp', 'new', 'vice-president', 'v1' FROM generate_series(1, 12) g",
    )
    .await;
    let reply = post_admin(&app, Some(&format!("Bearer {TOKEN}"))).await;
    assert_eq!(reply.status, 202, "{}", reply.json);
    let id = reply.json["requestId"].as_i64().expect("requestId");
    assert_eq!(reply.json, serde_json::json!({"status": "queued", "requestId": id}));
    let client = app.db.connect().await;
    let row = client
        .query_one("SELECT status, requested_by FROM digest_requests WHERE id = $1", &[&id])
        .await
        .expect("the request row");
    assert_eq!((row.get::<_, &str>("status"), row.get::<_, &str>("requested_by")), ("pending", "ops"));
    let digests: i64 = client.query_one("SELECT count(*) FROM digests", &[]).await.expect("count").get("count");
    assert_eq!(digests, 0, "ingest-api builds nothing itself: digest-sender does");

    let read = |id: i64| app.http.get(format!("{}/admin/digest-requests/{id}", app.address)).bearer_auth(TOKEN).send();
    let pending: serde_json::Value = read(id).await.expect("request").json().await.expect("json");
    assert_eq!(
        (&pending["status"], &pending["requestedBy"], &pending["attempts"], &pending["digests"]),
        (&serde_json::json!("pending"), &serde_json::json!("ops"), &serde_json::json!(0), &serde_json::Value::Null)
    );
    // What digest-sender writes when it has built the run (crates/digest-sender/tests/requests.rs builds it).
    app.sql(&format!(
        "UPDATE digest_requests SET status = 'done', attempts = 1, completed_at = now(),
                summary = '{{\"email\": {{\"digests\": 2, \"detections\": 12}}}}' WHERE id = {id}"
    ))
    .await;
    let done: serde_json::Value = read(id).await.expect("request").json().await.expect("json");
    assert_eq!(done["status"], "done");
    assert_eq!(done["digests"], serde_json::json!({"email": {"digests": 2, "detections": 12}}));
    assert!(done["completedAt"].as_str().is_some_and(|at| at.ends_with('Z')), "{done}");

    let unknown = read(id + 1000).await.expect("request");
    assert_eq!(unknown.status(), 404);
    let body: serde_json::Value = unknown.json().await.expect("json");
    assert_eq!(body["error"]["code"], "not-found");
    let unauthorised =
        app.http.get(format!("{}/admin/digest-requests/{id}", app.address)).send().await.expect("request");
    assert_eq!(unauthorised.status(), 401);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stats_count_events_seniors_detections_digests_and_reports() {
    let app = spawn_app_with(&[("ADMIN_TOKEN", TOKEN)]).await;
    let unauthorised = app.http.get(format!("{}/admin/stats", app.address)).send().await.expect("request");
    assert_eq!(unauthorised.status(), 401);
    app.post_community(&crate::helpers::seed("s-1", "Title", Some("CEO"))).await;
    app.sql(
        "UPDATE events_raw SET status = 'processed';
         INSERT INTO user_state (user_id, title, seniority, rule, rules_version, last_event_id, senior_since)
           VALUES ('s-1', 'CEO', 'c_suite', 'chief-executive', 'v1', 1, now());
         INSERT INTO detections (event_id, user_id, title, seniority, kind, rule, rules_version, detected_at) VALUES
           (1, 's-1', 'CEO', 'c_suite', 'new', 'chief-executive', 'v1', now()),
           (2, 's-2', 'VP', 'vp', 'new', 'vice-president', 'v1', now() - interval '30 days');
         INSERT INTO digests (channel, status, run_key, detection_count, attempts, last_error) VALUES
           ('email', 'sent', '2026-W47', 1, 1, NULL), ('teams', 'failed', '2026-W47', 1, 6, 'HTTP 503');
         INSERT INTO reports (month, kind, status, period_start, period_end, attempts, last_error) VALUES
           ('2026-10-01', 'month_to_date', 'failed', '2026-10-01', '2026-10-15', 5, 'cannot write 2026-10');",
    )
    .await;
    let stats: serde_json::Value = app
        .http
        .get(format!("{}/admin/stats", app.address))
        .bearer_auth(TOKEN)
        .send()
        .await
        .expect("request")
        .json()
        .await
        .expect("json");
    assert_eq!(stats["events"], serde_json::json!({"received": 1, "pending": 0, "processed": 1, "failed": 0}));
    assert_eq!(stats["seniors"], serde_json::json!({"c_suite": 1, "vp": 0}));
    assert_eq!(stats["detections"], serde_json::json!({"total": 2, "last7Days": 1}));
    assert_eq!(stats["digests"], serde_json::json!({"failed": 1, "sent": 1}));
    assert_eq!(stats["failedDigests"][0]["lastError"], "HTTP 503");
    assert_eq!(stats["reports"], serde_json::json!({"failed": 1}));
    assert_eq!(
        stats["failedReports"][0],
        serde_json::json!({"id": 1, "month": "2026-10", "kind": "month_to_date", "attempts": 5,
                           "lastError": "cannot write 2026-10"})
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn generate_reports_queues_a_month_to_date_report() {
    let app = spawn_app_with(&[("ADMIN_TOKEN", TOKEN)]).await;
    assert_eq!(app.post("/admin/generate-reports", &[], "").await.status, 401);
    let reply = app.post("/admin/generate-reports", &[("authorization", format!("Bearer {TOKEN}"))], "").await;
    assert_eq!(reply.status, 202, "{}", reply.json);
    assert_eq!(reply.json["status"], "queued");
    let row = app.db.connect().await.query_one("SELECT kind, status, id FROM reports", &[]).await.expect("queued row");
    assert_eq!(
        (row.get::<_, String>(0), row.get::<_, String>(1)),
        ("month_to_date".to_string(), "pending".to_string())
    );
    assert_eq!(reply.json["reportId"], row.get::<_, i64>(2));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn recent_detections_are_newest_first_and_limits_are_validated() {
    let app = spawn_app_with(&[("ADMIN_TOKEN", TOKEN)]).await;
    app.sql(
        "INSERT INTO detections (event_id, user_id, username, title, seniority, previous_seniority, kind, rule,
                                 rules_version, detected_at) VALUES
           (1, 'a', 'ada', 'VP Sales', 'vp', NULL, 'new', 'vice-president', 'v1', '2026-11-20T10:00:00Z'),
           (2, 'a', 'ada', 'CEO', 'c_suite', 'vp', 'promotion', 'chief-executive', 'v1', '2026-11-21T10:00:00Z'),
           (3, 'b', NULL, 'CFO', 'c_suite', NULL, 'new', 'chief-officer', 'v1', '2026-11-19T10:00:00Z')",
    )
    .await;
    let get = |query: &'static str, token: Option<&'static str>| {
        let mut request = app.http.get(format!("{}/admin/recent-detections{query}", app.address));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        request.send()
    };
    assert_eq!(get("", None).await.expect("request").status(), 401);
    assert_eq!(get("", Some("wrong")).await.expect("request").status(), 401);
    let list: serde_json::Value = get("?limit=2", Some(TOKEN)).await.expect("request").json().await.expect("json");
    assert_eq!(
        list,
        serde_json::json!([
            {"id": 2, "source": "community", "userId": "a", "username": "ada", "title": "CEO", "seniority": "c_suite", "previousSeniority": "vp",
             "kind": "promotion", "detectedAt": "2026-11-21T10:00:00.000Z"},
            {"id": 1, "source": "community", "userId": "a", "username": "ada", "title": "VP Sales", "seniority": "vp", "previousSeniority": null,
             "kind": "new", "detectedAt": "2026-11-20T10:00:00.000Z"}
        ])
    );
    for bad in ["?limit=0", "?limit=1001", "?limit=abc", "?order=asc"] {
        let response = get(bad, Some(TOKEN)).await.expect("request");
        assert_eq!(response.status(), 422, "{bad}");
        let body: serde_json::Value = response.json().await.expect("json");
        assert_eq!(body["error"]["code"], "invalid-field");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_column_of_another_type_is_a_schema_drift_error_not_a_panic() {
    let app = spawn_app_with(&[("ADMIN_TOKEN", TOKEN)]).await;
    app.sql(
        "INSERT INTO digests (channel, status, run_key, detection_count, attempts, last_error)
           VALUES ('teams', 'failed', '2026-W47', 1, 6, 'HTTP 503');
         ALTER TABLE digests ALTER COLUMN attempts TYPE bigint;",
    )
    .await;
    let reply = app.http.get(format!("{}/admin/stats", app.address)).bearer_auth(TOKEN).send().await.expect("request");
    assert_eq!(reply.status(), 503);
    let body: serde_json::Value = reply.json().await.expect("json");
    assert_eq!(body["error"]["code"], "schema-drift", "{body}");
    let recent = app.http.get(format!("{}/admin/recent-detections", app.address)).bearer_auth(TOKEN).send().await;
    assert_eq!(recent.expect("the service still answers").status(), 200, "other routes are unaffected");
}
