//! An event that keeps failing is parked as failed with its error after N tries, and never blocks the rest.

use std::time::Duration;

use pathfinder_core::testing::TestDatabase;

use crate::helpers::{d, detections_of, insert_events, start, state_of, wait_until_drained};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_poison_event_is_parked_and_others_go_through() {
    let db = TestDatabase::migrated().await;
    let client = db.connect().await;
    // Fault injection: writing state for member "poison" always fails inside the database.
    client
        .batch_execute(
            "CREATE FUNCTION reject_poison() RETURNS trigger LANGUAGE plpgsql AS $$
             BEGIN IF NEW.user_id = 'poison' THEN RAISE EXCEPTION 'injected failure for poison'; END IF; RETURN NEW; END $$;
             CREATE TRIGGER reject_poison BEFORE INSERT OR UPDATE ON user_state
                 FOR EACH ROW EXECUTE FUNCTION reject_poison();",
        )
        .await
        .expect("trigger");
    insert_events(
        &client,
        &[("ok-1", Some("VP Finance")), ("poison", Some("Chief Executive Officer")), ("ok-2", Some("CTO"))],
    )
    .await;
    let _classifier = start(&db, &[("PATHFINDER_CLASSIFIER__MAX_ATTEMPTS", "2")]).await;
    // The retry pause after the first failure is 2 s; wait for the second try to park it.
    wait_until_drained(&client, Duration::from_secs(30)).await;
    let row = client
        .query_one("SELECT status, attempts, last_error FROM events_raw WHERE user_id = 'poison'", &[])
        .await
        .expect("poison row");
    assert_eq!(row.get::<_, String>(0), "failed");
    assert_eq!(row.get::<_, i32>(1), 2);
    assert!(row.get::<_, Option<String>>(2).unwrap_or_default().contains("injected failure"));
    assert_eq!(detections_of(&client, "poison").await, vec![]);
    assert_eq!(detections_of(&client, "ok-1").await, vec![d("new", "vp", None)]);
    assert_eq!(state_of(&client, "ok-2").await, Some(("c_suite".into(), "CTO".into())));
    // The member's later events are not blocked by the parked one.
    client.batch_execute("DROP TRIGGER reject_poison ON user_state").await.expect("drop trigger");
    insert_events(&client, &[("poison", Some("VP Sales"))]).await;
    wait_until_drained(&client, Duration::from_secs(20)).await;
    assert_eq!(state_of(&client, "poison").await, Some(("vp".into(), "VP Sales".into())));
}
