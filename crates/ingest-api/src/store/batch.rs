//! The group-commit queue: requests in, batches out, one answer per request after its commit.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use pathfinder_core::db::{DbPool, QueryError};
use tokio::sync::{Mutex, mpsc, oneshot};
use tokio::task::JoinHandle;
use tracing::Instrument;

use super::insert::{self, Row};
use super::{StoreError, StoreOutcome};
use crate::payload::NewEvent;

type Reply = oneshot::Sender<Result<StoreOutcome, StoreError>>;

struct Job {
    event: NewEvent,
    reply: Reply,
}

#[derive(Debug, Clone)]
pub struct WriterConfig {
    pub batch_max_rows: usize,
    pub writers: usize,
    pub dedupe_window_hours: u32,
}

/// Cheap to clone; hands events to the writer tasks.
#[derive(Clone)]
pub struct EventWriter {
    sender: mpsc::Sender<Job>,
}

impl EventWriter {
    /// Starts the writer tasks. They stop once every `EventWriter` clone is dropped and the queue is drained.
    pub fn start(pool: DbPool, config: WriterConfig) -> (Self, Vec<JoinHandle<()>>) {
        let (sender, receiver) = mpsc::channel::<Job>(config.batch_max_rows * config.writers * 4);
        let receiver = Arc::new(Mutex::new(receiver));
        let handles = (0..config.writers)
            .map(|n| {
                let worker = Worker { pool: pool.clone(), receiver: receiver.clone(), config: config.clone() };
                tokio::spawn(worker.run().instrument(tracing::info_span!("batch_writer", writer = n)))
            })
            .collect();
        (Self { sender }, handles)
    }

    /// Stores one event; returns once it is committed (or known to be a duplicate or ignored).
    pub async fn store(&self, event: NewEvent) -> Result<StoreOutcome, StoreError> {
        let (reply, answer) = oneshot::channel();
        self.sender.send(Job { event, reply }).await.map_err(|_| StoreError::Unavailable)?;
        answer.await.map_err(|_| StoreError::Unavailable)?
    }
}

struct Worker {
    pool: DbPool,
    receiver: Arc<Mutex<mpsc::Receiver<Job>>>,
    config: WriterConfig,
}

impl Worker {
    async fn run(self) {
        loop {
            let Some(jobs) = self.next_batch().await else {
                break;
            };
            self.write(jobs).await;
        }
        tracing::debug!("batch writer stopped");
    }

    /// Waits for one job, then takes whatever else is already queued, up to the batch size.
    async fn next_batch(&self) -> Option<Vec<Job>> {
        let mut receiver = self.receiver.lock().await;
        let first = receiver.recv().await?;
        let mut jobs = vec![first];
        while jobs.len() < self.config.batch_max_rows {
            match receiver.try_recv() {
                Ok(job) => jobs.push(job),
                Err(_) => break,
            }
        }
        Some(jobs)
    }

    async fn write(&self, jobs: Vec<Job>) {
        // Identical keys in one batch: the first is written, the others are its duplicates.
        let mut groups: Vec<(NewEvent, Vec<Reply>)> = Vec::with_capacity(jobs.len());
        let mut index: HashMap<String, usize> = HashMap::with_capacity(jobs.len());
        for job in jobs {
            let key = job.event.dedupe.storage_key(job.event.source);
            match index.get(&key) {
                Some(&i) => groups[i].1.push(job.reply),
                None => {
                    index.insert(key, groups.len());
                    groups.push((job.event, vec![job.reply]));
                }
            }
        }
        let rows: Vec<Row> = groups.iter().map(|(event, _)| Row::from(event)).collect();
        let started = Instant::now();
        let result = self.insert_with_fallback(&rows).await;
        crate::metrics::record_batch(rows.len(), started.elapsed(), result.is_ok());
        match result {
            Ok(outcomes) => {
                for ((_, replies), outcome) in groups.into_iter().zip(outcomes) {
                    answer_group(replies, outcome);
                }
            }
            Err(error) => {
                for (_, replies) in groups {
                    for reply in replies {
                        let _ = reply.send(Err(error.clone()));
                    }
                }
            }
        }
    }

    /// One statement for the batch; if the batch fails for a reason other than the database being away, each
    /// row is tried alone so one bad row cannot fail the others.
    async fn insert_with_fallback(&self, rows: &[Row]) -> Result<Vec<Result<StoreOutcome, StoreError>>, StoreError> {
        match self.insert(rows).await {
            Ok(outcomes) => Ok(outcomes),
            Err(StoreError::Unavailable) => Err(StoreError::Unavailable),
            Err(error) if rows.len() == 1 => Ok(vec![Err(error)]),
            Err(error) => {
                tracing::warn!(error = %error, rows = rows.len(), "batch insert failed; writing rows one by one");
                let mut outcomes = Vec::with_capacity(rows.len());
                for row in rows {
                    let outcome = match self.insert(std::slice::from_ref(row)).await {
                        Ok(mut single) if !single.is_empty() => single.remove(0),
                        Ok(_) => Err(StoreError::Failed("no outcome for the row".into())),
                        Err(error) => Err(error),
                    };
                    outcomes.push(outcome);
                }
                Ok(outcomes)
            }
        }
    }

    async fn insert(&self, rows: &[Row]) -> Result<Vec<Result<StoreOutcome, StoreError>>, StoreError> {
        let client = self.pool.get().await.map_err(|error| {
            tracing::warn!(error = %pathfinder_core::db::describe(&error), "no database connection for the batch");
            StoreError::Unavailable
        })?;
        let window = Duration::from_secs(u64::from(self.config.dedupe_window_hours) * 3600);
        insert::insert_batch(&client, rows, window).await.map_err(|error| match error {
            QueryError::Database(error) if pathfinder_core::db::is_unavailable(&error) => {
                tracing::warn!(error = %pathfinder_core::db::describe(&error), "database unavailable while writing a batch");
                StoreError::Unavailable
            }
            error => {
                tracing::error!(error = %error, code = error.code(), "batch insert failed");
                StoreError::Failed(error.to_string())
            }
        })
    }
}

/// The first request of a group gets the outcome; identical ones in the same batch are its duplicates.
fn answer_group(replies: Vec<Reply>, outcome: Result<StoreOutcome, StoreError>) {
    let mut replies = replies.into_iter();
    if let Some(first) = replies.next() {
        let _ = first.send(outcome.clone());
    }
    for reply in replies {
        let repeated = match &outcome {
            Ok(StoreOutcome::Accepted(id)) | Ok(StoreOutcome::Duplicate(id)) => Ok(StoreOutcome::Duplicate(*id)),
            other => other.clone(),
        };
        let _ = reply.send(repeated);
    }
}
