//! The `weekly-digest` scheduled job.

use futures_util::FutureExt;
use futures_util::future::BoxFuture;
use pathfinder_core::db::DbPool;
use pathfinder_core::jobs::JobHandler;
use pathfinder_core::schedule::{Job, Occurrence};
use tokio_postgres::Transaction;

use crate::assemble::{self, Channel};

pub struct WeeklyDigestJob {
    pub channels: Vec<Channel>,
}

impl JobHandler for WeeklyDigestJob {
    fn job(&self) -> Job {
        Job::WeeklyDigest
    }

    fn run<'a>(
        &'a self,
        tx: &'a Transaction<'a>,
        _pool: &'a DbPool,
        occurrence: &'a Occurrence,
    ) -> BoxFuture<'a, anyhow::Result<serde_json::Value>> {
        async move {
            let summary = assemble::build(tx, &self.channels, &occurrence.period_key).await?;
            let json: serde_json::Map<String, serde_json::Value> = summary
                .into_iter()
                .map(|(channel, (digests, detections))| {
                    (channel.to_string(), serde_json::json!({"digests": digests, "detections": detections}))
                })
                .collect();
            Ok(serde_json::Value::Object(json))
        }
        .boxed()
    }
}
