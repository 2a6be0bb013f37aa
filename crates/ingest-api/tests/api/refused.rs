//! A write the database refuses (here a trigger standing in for any constraint) answers 503 and stores nothing,
//! and does not fail the other events of its batch.

use crate::helpers::{seed, spawn_app};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_row_gets_503_and_its_batch_neighbours_are_stored() {
    let app = spawn_app().await;
    app.sql(
        "CREATE FUNCTION refuse_member() RETURNS trigger LANGUAGE plpgsql AS $$
         BEGIN IF NEW.user_id = 'refused' THEN RAISE EXCEPTION 'refused by policy'; END IF; RETURN NEW; END $$;
         CREATE TRIGGER refuse_member BEFORE INSERT ON events_raw FOR EACH ROW EXECUTE FUNCTION refuse_member();",
    )
    .await;
    let bodies: Vec<serde_json::Value> = (0..20)
        .map(|n| {
            if n == 7 { seed("refused", "Title", Some("CEO")) } else { seed(&format!("ok-{n}"), "Title", Some("CEO")) }
        })
        .collect();
    let replies = futures_util::future::join_all(bodies.iter().map(|b| app.post_community(b))).await;
    for (n, reply) in replies.iter().enumerate() {
        if n == 7 {
            assert_eq!((reply.status, reply.code()), (503, "database-unavailable"), "{}", reply.json);
            assert!(reply.headers.get("retry-after").is_some());
        } else {
            assert_eq!(reply.status, 202, "neighbour {n}: {}", reply.json);
        }
    }
    assert_eq!(app.count_events().await, 19);
    let client = app.db.connect().await;
    let refused: i64 = client
        .query_one("SELECT count(*) FROM webhook_deliveries WHERE user_id = 'refused'", &[])
        .await
        .expect("count")
        .get(0);
    assert_eq!(refused, 0, "no dedupe key left behind for the refused event: its retry is not a 'duplicate'");
}
