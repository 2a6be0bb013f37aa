//! Members are keyed by (source, userId): community member 42 and Discourse member 42 are two people from the
//! webhook, through the classifier (no cross-source "promotion"), the admin API and the report, to erasure (one
//! source, then every source, reporting the members found per source).

use std::time::{Duration, Instant};

use chrono::{Duration as Span, Utc};
use reqwest::Method;
use serde_json::{Value, json};

use crate::discourse::{discourse_headers, user_updated};
use crate::helpers::{TestApp, spawn_app_with, start_classifier};

const TOKEN: &str = "sources-admin-token-0123456789";

async fn admin(app: &TestApp, method: Method, path: &str) -> (u16, Value) {
    let response =
        app.http.request(method, format!("{}{path}", app.address)).bearer_auth(TOKEN).send().await.expect("request");
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

/// (source, seniority) of every stored senior with this id, in source order.
async fn seniors(client: &tokio_postgres::Client, user_id: &str) -> Vec<(String, String)> {
    client
        .query("SELECT source, seniority FROM user_state WHERE user_id = $1 ORDER BY source", &[&user_id])
        .await
        .expect("user_state")
        .iter()
        .map(|r| (r.get(0), r.get(1)))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_same_user_id_on_two_sources_is_two_members_from_webhook_to_report_to_erasure() {
    let app = spawn_app_with(&[("ADMIN_TOKEN", TOKEN)]).await;
    let shutdown = start_classifier(&app).await;
    let community = json!({"userId": "42", "username": "c42", "profileField": "Job Title", "value": "VP of Sales",
                           "oldValue": null});
    assert_eq!(app.post_community(&community).await.status, 202);
    let discourse = user_updated(42, Some("Chief Executive Officer")).to_string();
    let reply = app.post_json("/webhooks/discourse", &discourse_headers("user_updated", 1), discourse).await;
    assert_eq!(reply.status, 202, "{}", reply.json);

    let client = app.db.connect().await;
    let deadline = Instant::now() + Duration::from_secs(20);
    while client
        .query_one("SELECT count(*) FROM events_raw WHERE status = 'processed'", &[])
        .await
        .expect("count")
        .get::<_, i64>(0)
        < 2
    {
        assert!(Instant::now() < deadline, "the classifier did not process both events");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    shutdown.cancel();
    assert_eq!(
        seniors(&client, "42").await,
        [("community".into(), "vp".into()), ("discourse".into(), "c_suite".into())],
        "two members, each with its own state"
    );
    let kinds: Vec<(String, String)> = client
        .query("SELECT source, kind FROM detections ORDER BY source", &[])
        .await
        .expect("detections")
        .iter()
        .map(|r| (r.get(0), r.get(1)))
        .collect();
    assert_eq!(
        kinds,
        [("community".into(), "new".into()), ("discourse".into(), "new".into())],
        "no cross-source promotion"
    );

    let (status, recent) = admin(&app, Method::GET, "/admin/recent-detections").await;
    assert_eq!(status, 200, "{recent}");
    let mut shown: Vec<(String, String)> = recent
        .as_array()
        .into_iter()
        .flatten()
        .map(|d| (d["source"].as_str().unwrap_or("").to_string(), d["userId"].as_str().unwrap_or("").to_string()))
        .collect();
    shown.sort();
    assert_eq!(shown, [("community".into(), "42".into()), ("discourse".into(), "42".into())]);

    let now = Utc::now();
    let period = pathfinder_reports::data::Period {
        tz: chrono_tz::America::New_York,
        first_day: now.date_naive() - Span::days(1),
        start: now - Span::hours(1),
        end: now + Span::hours(1),
        label: "test".into(),
        month_key: now.format("%Y-%m").to_string(),
        month_to_date: true,
    };
    let data = pathfinder_reports::data::load(&client, period).await.expect("report data");
    let csv = String::from_utf8(pathfinder_reports::csv_report::render(&data).expect("csv")).expect("utf-8");
    assert!(csv.starts_with("detected_at,user_id,username,title,seniority,kind,previous_seniority,rule,source\r\n"));
    assert_eq!(csv.lines().filter(|l| l.ends_with(",community")).count(), 1, "{csv}");
    assert_eq!(csv.lines().filter(|l| l.ends_with(",discourse")).count(), 1, "{csv}");

    let (status, one) = admin(&app, Method::DELETE, "/admin/members/42?source=discourse").await;
    assert_eq!(status, 200, "{one}");
    assert_eq!(one["removed"]["membersFound"], 1);
    assert_eq!(one["removed"]["sources"].as_array().map(Vec::len), Some(1));
    assert_eq!(one["removed"]["sources"][0]["source"], "discourse");
    assert_eq!(one["removed"]["detections"], 1);
    assert_eq!(seniors(&client, "42").await, [("community".into(), "vp".into())], "the community member stays");

    let (status, every) = admin(&app, Method::DELETE, "/admin/members/42").await;
    assert_eq!(status, 200, "{every}");
    assert_eq!(every["removed"]["membersFound"], 1);
    let found: Vec<(Value, Value)> = every["removed"]["sources"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|s| (s["source"].clone(), s["found"].clone()))
        .collect();
    assert_eq!(found, [(json!("community"), json!(true)), (json!("discourse"), json!(false))]);
    assert!(seniors(&client, "42").await.is_empty());
    for table in ["detections", "events_raw", "webhook_deliveries"] {
        let left: i64 = client.query_one(&format!("SELECT count(*) FROM {table}"), &[]).await.expect("count").get(0);
        assert_eq!(left, 0, "{table}");
    }
    let audited: Vec<Value> = client
        .query("SELECT details FROM audit_log WHERE kind = 'member.erased' ORDER BY seq", &[])
        .await
        .expect("audit")
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert_eq!(audited.len(), 2);
    assert_eq!(audited[0]["sources"][0]["source"], "discourse");
    assert_eq!(audited[1]["membersFound"], 1);

    let (status, bad) = admin(&app, Method::DELETE, "/admin/members/42?source=insided").await;
    assert_eq!((status, bad["error"]["code"].as_str()), (422, Some("invalid-field")), "{bad}");
}
