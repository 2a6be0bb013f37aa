//! The SQL of one batch: register-check and opt-out check, claim the dedupe keys, insert the new events, all in one
//! statement (so one commit), then look up the event ids of the duplicates. An event of an unregistered field or of
//! an opted-out member is `ignored`: nothing of it is stored.

use std::collections::HashMap;
use std::time::Duration;

use deadpool_postgres::ClientWrapper as Client;
use pathfinder_core::db::{QueryError, RowExt};

use super::{StoreError, StoreOutcome};
use crate::payload::NewEvent;

/// One event as the statement's column arrays want it.
pub struct Row {
    dedupe_key: String,
    source: &'static str,
    by_body_hash: bool,
    check_registry: bool,
    user_id: String,
    username: Option<String>,
    profile_field: String,
    value: Option<String>,
    old_value: Option<String>,
}

impl From<&NewEvent> for Row {
    fn from(event: &NewEvent) -> Self {
        Self {
            dedupe_key: event.dedupe.storage_key(event.source),
            source: event.source.as_str(),
            by_body_hash: event.dedupe.is_body_hash(),
            check_registry: event.check_registry,
            user_id: event.user_id.clone(),
            username: event.username.clone(),
            profile_field: event.profile_field.clone(),
            value: event.value.clone(),
            old_value: event.old_value.clone(),
        }
    }
}

/// A dedupe row is taken over (the event is new) when it is older than the window, or when it was keyed by body
/// hash and the member has had a newer event since (a real change back to an earlier title).
const INSERT_BATCH: &str = r#"
WITH input AS (
    SELECT * FROM unnest($1::text[], $2::text[], $3::bool[], $4::bool[], $5::text[], $6::text[], $7::text[],
                         $8::text[], $9::text[])
        AS t(dedupe_key, source, by_body_hash, check_registry, user_id, username, profile_field, value, old_value)
),
registered AS (
    SELECT i.* FROM input i
    WHERE (NOT i.check_registry
           OR EXISTS (SELECT 1 FROM field_registry f
                      WHERE f.enabled AND lower(f.field_name) = lower(i.profile_field)))
      -- The first test is evaluated once per statement: with no opt-out at all, no member hash is computed.
      AND (NOT EXISTS (SELECT 1 FROM member_opt_outs)
           OR NOT EXISTS (SELECT 1 FROM member_opt_outs o WHERE o.source = i.source AND o.member_hash = pf_member_hash(i.user_id)))
),
claimed AS (
    INSERT INTO webhook_deliveries AS d (dedupe_key, event_id, source, user_id, by_body_hash, received_at)
    SELECT r.dedupe_key, nextval(pg_get_serial_sequence('events_raw', 'id')), r.source, r.user_id,
           r.by_body_hash, now()
    FROM registered r
    ON CONFLICT (dedupe_key) DO UPDATE
        SET event_id = EXCLUDED.event_id, user_id = EXCLUDED.user_id, received_at = EXCLUDED.received_at
        WHERE d.received_at < now() - $10::bigint * interval '1 second'
           OR (d.by_body_hash AND EXISTS (SELECT 1 FROM events_raw e
                                          WHERE e.user_id = d.user_id AND e.source = d.source
                                            AND e.id > d.event_id))
    RETURNING d.dedupe_key, d.event_id
),
inserted AS (
    INSERT INTO events_raw (id, source, dedupe_key, user_id, username, profile_field, value, old_value)
    SELECT c.event_id, r.source, r.dedupe_key, r.user_id, r.username, r.profile_field, r.value, r.old_value
    FROM registered r JOIN claimed c USING (dedupe_key)
    RETURNING id, dedupe_key
)
SELECT i.dedupe_key, r.dedupe_key IS NOT NULL AS registered, ins.id AS new_id
FROM input i
LEFT JOIN registered r USING (dedupe_key)
LEFT JOIN inserted ins USING (dedupe_key)
"#;

/// Event ids of deliveries already stored (read after the insert, so it sees rows committed meanwhile).
const EXISTING_IDS: &str = "SELECT dedupe_key, event_id FROM webhook_deliveries WHERE dedupe_key = ANY($1)";

/// Writes the batch; outcomes come back in the order of `rows`. Keys within `rows` must be distinct.
pub async fn insert_batch(
    client: &Client,
    rows: &[Row],
    window: Duration,
) -> Result<Vec<Result<StoreOutcome, StoreError>>, QueryError> {
    let statement = client.prepare_cached(INSERT_BATCH).await?;
    let keys: Vec<&str> = rows.iter().map(|r| r.dedupe_key.as_str()).collect();
    let sources: Vec<&str> = rows.iter().map(|r| r.source).collect();
    let by_hash: Vec<bool> = rows.iter().map(|r| r.by_body_hash).collect();
    let check: Vec<bool> = rows.iter().map(|r| r.check_registry).collect();
    let users: Vec<&str> = rows.iter().map(|r| r.user_id.as_str()).collect();
    let usernames: Vec<Option<&str>> = rows.iter().map(|r| r.username.as_deref()).collect();
    let fields: Vec<&str> = rows.iter().map(|r| r.profile_field.as_str()).collect();
    let values: Vec<Option<&str>> = rows.iter().map(|r| r.value.as_deref()).collect();
    let old_values: Vec<Option<&str>> = rows.iter().map(|r| r.old_value.as_deref()).collect();
    let window = i64::try_from(window.as_secs()).unwrap_or(i64::MAX);
    let result = client
        .query(
            &statement,
            &[&keys, &sources, &by_hash, &check, &users, &usernames, &fields, &values, &old_values, &window],
        )
        .await?;
    let mut by_key: HashMap<String, (bool, Option<i64>)> = HashMap::with_capacity(result.len());
    for row in &result {
        by_key.insert(row.column("dedupe_key")?, (row.column("registered")?, row.column("new_id")?));
    }
    let duplicates: Vec<&str> = rows
        .iter()
        .filter(|r| matches!(by_key.get(&r.dedupe_key), Some((true, None))))
        .map(|r| r.dedupe_key.as_str())
        .collect();
    let mut existing: HashMap<String, i64> = HashMap::new();
    if !duplicates.is_empty() {
        let lookup = client.prepare_cached(EXISTING_IDS).await?;
        for row in client.query(&lookup, &[&duplicates]).await? {
            existing.insert(row.column("dedupe_key")?, row.column("event_id")?);
        }
    }
    Ok(rows
        .iter()
        .map(|r| match by_key.get(&r.dedupe_key) {
            Some((true, Some(id))) => Ok(StoreOutcome::Accepted(*id)),
            // The earlier delivery's key vanished between the two statements (purged): ask the sender to retry.
            Some((true, None)) => existing
                .get(&r.dedupe_key)
                .map(|id| StoreOutcome::Duplicate(*id))
                .ok_or_else(|| StoreError::Failed("duplicate delivery could not be resolved".into())),
            _ => Ok(StoreOutcome::Ignored),
        })
        .collect())
}
