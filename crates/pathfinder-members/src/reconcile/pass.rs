//! The `reconcile_passes` row of a pass: started once per scheduled day, worked under a lease, its cursor advanced
//! with each page's commit (in [`super::page`]), finished at the end of the member list.

use std::time::Duration;

use pathfinder_core::db::{DbPool, RowExt};
use tokio_postgres::Transaction;

use super::{PassCounts, ReconcileError};

/// An open pass this process holds the lease of.
#[derive(Debug, Clone)]
pub struct Claimed {
    pub id: i64,
    pub next_page: i32,
    pub counts: PassCounts,
}

/// Opens a pass unless one is open (then that one continues); returns its id and whether it was already open.
/// Runs in the job ledger's transaction, so a scheduled day opens at most one pass.
pub async fn start_or_resume(tx: &Transaction<'_>, trigger: &str) -> Result<(i64, bool), tokio_postgres::Error> {
    let inserted = tx
        .query_opt(
            "INSERT INTO reconcile_passes (trigger) VALUES ($1)
             ON CONFLICT (source) WHERE finished_at IS NULL DO NOTHING RETURNING id",
            &[&trigger],
        )
        .await?;
    if let Some(row) = inserted {
        return Ok((row.try_get("id")?, false));
    }
    let open =
        tx.query_one("UPDATE reconcile_passes SET waiting = false WHERE finished_at IS NULL RETURNING id", &[]).await?;
    Ok((open.try_get("id")?, true))
}

/// Takes the open pass's lease when it is free (never taken, released, or expired) or already ours.
pub async fn claim(pool: &DbPool, holder: &str, lease: Duration) -> Result<Option<Claimed>, ReconcileError> {
    let client = pool.get().await?;
    let row = client
        .query_opt(
            "UPDATE reconcile_passes SET locked_by = $1, locked_until = now() + $2::bigint * interval '1 millisecond'
             WHERE finished_at IS NULL AND NOT waiting
               AND (locked_until IS NULL OR locked_until < now() OR locked_by = $1)
             RETURNING id, next_page, members, unchanged, fed, skipped",
            &[&holder, &millis(lease)],
        )
        .await?;
    let Some(r) = row else { return Ok(None) };
    Ok(Some(Claimed {
        id: r.column("id")?,
        next_page: r.column("next_page")?,
        counts: PassCounts {
            members: r.column("members")?,
            unchanged: r.column("unchanged")?,
            fed: r.column("fed")?,
            skipped: r.column("skipped")?,
        },
    }))
}

/// The open pass as another process sees it.
#[derive(Debug, Clone)]
pub struct Open {
    pub id: i64,
    pub holder: String,
    pub waiting: bool,
    pub next_page: i32,
}

/// The open pass, who holds it and whether it waits for the next run (for "busy" and "waiting" answers).
pub async fn open(pool: &DbPool) -> Result<Option<Open>, ReconcileError> {
    let client = pool.get().await?;
    let row = client
        .query_opt(
            "SELECT id, coalesce(locked_by, '') AS holder, waiting, next_page FROM reconcile_passes WHERE finished_at IS NULL",
            &[],
        )
        .await?;
    let Some(r) = row else { return Ok(None) };
    Ok(Some(Open {
        id: r.column("id")?,
        holder: r.column("holder")?,
        waiting: r.column("waiting")?,
        next_page: r.column("next_page")?,
    }))
}

/// Extends the lease while a page is being read (a page of details takes minutes at the paced rate).
pub async fn renew(pool: &DbPool, id: i64, holder: &str, lease: Duration) -> Result<(), ReconcileError> {
    let client = pool.get().await?;
    let renewed = client
        .execute(
            "UPDATE reconcile_passes SET locked_until = now() + $3::bigint * interval '1 millisecond'
             WHERE id = $1 AND locked_by = $2 AND finished_at IS NULL",
            &[&id, &holder, &millis(lease)],
        )
        .await?;
    if renewed == 1 { Ok(()) } else { Err(ReconcileError::LeaseLost) }
}

/// Advances the cursor past the page just applied, inside that page's transaction; fails when the lease is lost
/// (the page's writes then roll back).
pub async fn advance(
    tx: &Transaction<'_>,
    id: i64,
    holder: &str,
    lease: Duration,
    page: i32,
    counts: &PassCounts,
) -> Result<(), ReconcileError> {
    let updated = tx
        .execute(
            "UPDATE reconcile_passes SET next_page = $4 + 1, members = members + $5, unchanged = unchanged + $6,
                    fed = fed + $7, skipped = skipped + $8, last_error = NULL,
                    locked_until = now() + $3::bigint * interval '1 millisecond'
             WHERE id = $1 AND locked_by = $2 AND finished_at IS NULL AND next_page = $4",
            &[&id, &holder, &millis(lease), &page, &counts.members, &counts.unchanged, &counts.fed, &counts.skipped],
        )
        .await?;
    if updated == 1 { Ok(()) } else { Err(ReconcileError::LeaseLost) }
}

/// Ends the pass: members it did not see any more (they left Discourse) lose their reconciliation record; the pass
/// is recorded in the audit log (counts only).
pub async fn finish(pool: &DbPool, id: i64, holder: &str, counts: &PassCounts) -> Result<(), ReconcileError> {
    let mut client = pool.get().await?;
    let tx = client.transaction().await?;
    let finished = tx
        .execute(
            "UPDATE reconcile_passes SET finished_at = now(), locked_by = NULL, locked_until = NULL
             WHERE id = $1 AND locked_by = $2 AND finished_at IS NULL",
            &[&id, &holder],
        )
        .await?;
    if finished != 1 {
        return Err(ReconcileError::LeaseLost);
    }
    let gone = tx.execute("DELETE FROM reconcile_titles WHERE source = 'discourse' AND seen_pass < $1", &[&id]).await?;
    let mut details = serde_json::to_value(counts).unwrap_or_default();
    if let Some(fields) = details.as_object_mut() {
        fields.insert("pass".into(), id.into());
        fields.insert("recordsOfMembersGone".into(), gone.into());
    }
    tx.execute("SELECT pf_audit_append('reconcile.pass', $1, NULL, $2)", &[&holder, &details]).await?;
    tx.commit().await?;
    Ok(())
}

/// Lets go of the lease because the page limit was reached: the pass waits for the next scheduled (or manual) run,
/// which continues at the cursor.
pub async fn pause(pool: &DbPool, id: i64, holder: &str) -> Result<(), ReconcileError> {
    let client = pool.get().await?;
    client
        .execute(
            "UPDATE reconcile_passes SET waiting = true, locked_by = NULL, locked_until = NULL
             WHERE id = $1 AND locked_by = $2",
            &[&id, &holder],
        )
        .await?;
    Ok(())
}

/// Lets go of every lease `holder` has (at shutdown), so another process need not wait for it to expire.
pub async fn release_all(pool: &DbPool, holder: &str) -> Result<(), ReconcileError> {
    let client = pool.get().await?;
    client
        .execute("UPDATE reconcile_passes SET locked_by = NULL, locked_until = NULL WHERE locked_by = $1", &[&holder])
        .await?;
    Ok(())
}

/// Records why the pass stopped and lets go of the lease; the cursor stays where the last committed page left it.
pub async fn record_error(pool: &DbPool, id: i64, holder: &str, error: &str) -> Result<(), ReconcileError> {
    let client = pool.get().await?;
    client
        .execute(
            "UPDATE reconcile_passes SET last_error = $3, locked_by = NULL, locked_until = NULL
             WHERE id = $1 AND locked_by = $2",
            &[&id, &holder, &error],
        )
        .await?;
    Ok(())
}

fn millis(duration: Duration) -> i64 {
    i64::try_from(duration.as_millis()).unwrap_or(i64::MAX)
}
