//! POST /admin/send-digests: 404 without ADMIN_TOKEN, 401 without the right bearer token, 202 and digests built
//! with it.

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
    let digests: i64 =
        app.db.connect().await.query_one("SELECT count(*) FROM digests", &[]).await.expect("count").get(0);
    assert_eq!(digests, 0, "nothing happened for the refused calls");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn send_digests_builds_digests_for_every_detection_not_yet_sent() {
    let app = spawn_app_with(&[("ADMIN_TOKEN", TOKEN)]).await;
    app.sql(
        "INSERT INTO detections (event_id, user_id, title, seniority, kind, rule, rules_version)
         SELECT g, 'm' || g, 'VP Sales', 'vp', 'new', 'vice-president', 'v1' FROM generate_series(1, 12) g",
    )
    .await;
    let reply = post_admin(&app, Some(&format!("Bearer {TOKEN}"))).await;
    assert_eq!(reply.status, 202, "{}", reply.json);
    assert_eq!(reply.json["status"], "queued");
    assert_eq!(reply.json["digests"]["email"], serde_json::json!({"digests": 2, "detections": 12}));
    assert_eq!(reply.json["digests"]["teams"], serde_json::json!({"digests": 2, "detections": 12}));
    let again = post_admin(&app, Some(&format!("Bearer {TOKEN}"))).await;
    assert_eq!(again.json["digests"]["email"]["detections"], 0, "nothing is queued twice");
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
