//! purge-events: old processed and failed events go, pending and recent ones stay; old dedupe keys go.

use pathfinder_core::testing::TestDatabase;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn old_processed_and_failed_events_are_purged_pending_and_recent_ones_kept() {
    let db = TestDatabase::migrated().await;
    let client = db.connect().await;
    client
        .batch_execute(
            "INSERT INTO events_raw (source, dedupe_key, user_id, profile_field, value, status, received_at)
             SELECT 'community', 'k' || g, 'u' || g, 'Title', 'CEO',
                    (ARRAY['processed', 'failed', 'pending'])[1 + g % 3],
                    CASE WHEN g <= 12000 THEN now() - interval '20 days' ELSE now() - interval '1 day' END
             FROM generate_series(1, 12300) g;
             INSERT INTO webhook_deliveries (dedupe_key, event_id, source, user_id, by_body_hash, received_at) VALUES
               ('old', 1, 'community', 'u1', true, now() - interval '30 days'),
               ('new', 2, 'community', 'u2', true, now() - interval '1 hour');",
        )
        .await
        .expect("seed");
    let settings =
        pathfinder_core::Settings::load_from(vec![("DATABASE_URL".to_string(), db.url.clone())]).expect("settings");
    let pool = pathfinder_core::db::create_pool(&settings, "purge-test").expect("pool");
    let purged = report_builder::purge::purge(&pool, 14, 72).await.expect("purge");
    assert_eq!(
        purged.events, 8000,
        "two thirds of the 12,000 old events (the pending third stays), over several batches"
    );
    assert_eq!(purged.deliveries, 1);
    let left = client
        .query("SELECT status, received_at < now() - interval '14 days', count(*) FROM events_raw GROUP BY 1, 2 ORDER BY 1, 2", &[])
        .await
        .expect("left");
    let left: Vec<(String, bool, i64)> = left.iter().map(|r| (r.get(0), r.get(1), r.get(2))).collect();
    assert_eq!(
        left,
        vec![
            ("failed".to_string(), false, 100),
            ("pending".to_string(), false, 100),
            ("pending".to_string(), true, 4000),
            ("processed".to_string(), false, 100),
        ]
    );
}
