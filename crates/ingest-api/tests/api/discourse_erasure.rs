//! Discourse `user_destroyed`, and a `user_updated` of an anonymised user, erase the Discourse member (and only
//! them: the community member with the same id stays), audited; off with PATHFINDER_DISCOURSE__ERASE_ON_DELETE=false.

use serde_json::json;

use crate::discourse::{discourse_headers, user_updated};
use crate::helpers::{TestApp, spawn_app_with};

async fn count(app: &TestApp, sql: &str) -> i64 {
    app.db.connect().await.query_one(sql, &[]).await.expect("count").get(0)
}

async fn seed_both(app: &TestApp) {
    let community = json!({"userId": "77", "profileField": "Job Title", "value": "VP of Sales", "oldValue": null});
    assert_eq!(app.post_community(&community).await.status, 202);
    let body = user_updated(77, Some("VP of Engineering")).to_string();
    assert_eq!(app.post_json("/webhooks/discourse", &discourse_headers("user_updated", 1), body).await.status, 202);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn user_destroyed_erases_the_discourse_member_only_and_is_audited() {
    let app = spawn_app_with(&[]).await;
    seed_both(&app).await;
    let reply = app
        .post_json("/webhooks/discourse", &discourse_headers("user_destroyed", 2), user_updated(77, None).to_string())
        .await;
    assert_eq!((reply.status, reply.json["status"].as_str()), (202, Some("erased")), "{}", reply.json);
    assert_eq!(reply.json["membersFound"], 1);
    assert_eq!(count(&app, "SELECT count(*) FROM events_raw WHERE source = 'discourse'").await, 0);
    assert_eq!(
        count(&app, "SELECT count(*) FROM events_raw WHERE source = 'community'").await,
        1,
        "community 77 stays"
    );
    let audit: serde_json::Value = app
        .db
        .connect()
        .await
        .query_one(
            "SELECT jsonb_build_object('actor', actor, 'details', details) FROM audit_log WHERE kind = 'member.erased'",
            &[],
        )
        .await
        .expect("one audit entry")
        .get(0);
    assert_eq!(audit["actor"], "webhook:discourse");
    assert_eq!(audit["details"]["sources"][0]["source"], "discourse");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_anonymised_user_is_erased_and_the_setting_turns_it_off() {
    let app = spawn_app_with(&[]).await;
    seed_both(&app).await;
    let mut anonymised = user_updated(77, None);
    anonymised["user"]["username"] = json!("anon48151623");
    anonymised["user"]["email"] = json!("anon48151623@anonymized.invalid");
    let reply =
        app.post_json("/webhooks/discourse", &discourse_headers("user_updated", 3), anonymised.to_string()).await;
    assert_eq!(reply.json["status"], "erased", "{}", reply.json);
    assert_eq!(count(&app, "SELECT count(*) FROM events_raw WHERE source = 'discourse'").await, 0);

    let off = spawn_app_with(&[("PATHFINDER_DISCOURSE__ERASE_ON_DELETE", "false")]).await;
    seed_both(&off).await;
    let reply = off
        .post_json("/webhooks/discourse", &discourse_headers("user_destroyed", 4), user_updated(77, None).to_string())
        .await;
    assert_eq!(reply.json["status"], "ignored", "{}", reply.json);
    assert_eq!(count(&off, "SELECT count(*) FROM events_raw WHERE source = 'discourse'").await, 1);
}
