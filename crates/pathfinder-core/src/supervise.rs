//! Supervised tasks of a worker service (the scheduler, the queue loops, the health listener, ...).
//!
//! Each of them is essential: when one ends before shutdown was asked for (it panicked, or its loop returned), the
//! service is no longer healthy, so the supervisor logs which one and why, counts it
//! (`pathfinder_task_exits_total{service,task}`), cancels the service's shutdown token (the other tasks finish their
//! work in flight, the health listener stops answering) and returns an error: the binary exits 1 and the
//! orchestrator (systemd `Restart=always`, Kubernetes, docker-compose `restart`) starts it again. Restarting a task
//! inside the process would hide a broken loop behind a green /health; ending the process makes it visible.

use std::future::Future;
use std::time::Duration;

use futures_util::future::select_all;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

/// How long the other tasks get to finish after one ended unexpectedly, before they are aborted.
const WIND_DOWN: Duration = Duration::from_secs(15);

/// The tasks of one service and the shutdown token they all watch.
pub struct Tasks {
    service: &'static str,
    shutdown: CancellationToken,
    tasks: Vec<(&'static str, JoinHandle<()>)>,
}

impl Tasks {
    pub fn new(service: &'static str, shutdown: CancellationToken) -> Self {
        Self { service, shutdown, tasks: Vec::new() }
    }

    /// Spawns `task` under `name` (shown in the log line if it ends too early).
    pub fn spawn(&mut self, name: &'static str, task: impl Future<Output = ()> + Send + 'static) {
        self.add(name, tokio::spawn(task));
    }

    /// Supervises an already spawned task.
    pub fn add(&mut self, name: &'static str, task: JoinHandle<()>) {
        self.tasks.push((name, task));
    }

    /// Runs until shutdown (`Ok` once every task has finished) or until a task ends on its own (`Err` naming it).
    pub async fn run_until_stopped(self) -> anyhow::Result<()> {
        let Self { service, shutdown, tasks } = self;
        if tasks.is_empty() {
            shutdown.cancelled().await;
            return Ok(());
        }
        let (names, handles): (Vec<&'static str>, Vec<JoinHandle<()>>) = tasks.into_iter().unzip();
        let (ended, index, rest) = select_all(handles).await;
        let name = names[index];
        let rest_names: Vec<&'static str> =
            names.iter().enumerate().filter(|(n, _)| *n != index).map(|(_, s)| *s).collect();
        if shutdown.is_cancelled() {
            // A normal stop: every task finishes its work in flight.
            let mut panicked = ended.err().map(|e| (name, e));
            for (other, result) in rest_names.into_iter().zip(futures_util::future::join_all(rest).await) {
                if let Err(error) = result {
                    panicked.get_or_insert((other, error));
                }
            }
            return match panicked {
                Some((task, error)) => Err(anyhow::anyhow!("{service}: task {task} failed while stopping: {error}")),
                None => Ok(()),
            };
        }
        let how = match ended {
            Ok(()) => "returned".to_string(),
            Err(error) if error.is_panic() => format!("panicked: {}", panic_message(error.into_panic())),
            Err(error) => format!("was cancelled: {error}"),
        };
        tracing::error!(task = name, "{service} task {name} {how}; stopping the service so it is restarted");
        metrics::counter!("pathfinder_task_exits_total", "service" => service, "task" => name).increment(1);
        shutdown.cancel();
        let aborts: Vec<_> = rest.iter().map(JoinHandle::abort_handle).collect();
        if tokio::time::timeout(WIND_DOWN, futures_util::future::join_all(rest)).await.is_err() {
            aborts.iter().for_each(tokio::task::AbortHandle::abort);
        }
        Err(anyhow::anyhow!("{service} task {name} {how}; the service stopped so that it is restarted"))
    }
}

fn panic_message(payload: Box<dyn std::any::Any + Send>) -> String {
    payload
        .downcast_ref::<&str>()
        .map(|s| (*s).to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "(no message)".to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn the_first_task_to_end_stops_the_others_and_fails_naming_it() {
        let shutdown = CancellationToken::new();
        let mut tasks = Tasks::new("test-service", shutdown.clone());
        let watcher = shutdown.clone();
        tasks.spawn("loop", async move { watcher.cancelled().await });
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        tasks.spawn("injected", async move {
            let _ = rx.await;
            panic!("injected failure");
        });
        let run = tokio::spawn(tasks.run_until_stopped());
        tx.send(()).expect("trigger");
        let error = run.await.expect("join").expect_err("a task ended");
        assert!(error.to_string().contains("test-service task injected panicked: injected failure"), "{error}");
        assert!(shutdown.is_cancelled(), "the other tasks are told to stop");
    }

    #[tokio::test]
    async fn a_task_that_returns_early_also_fails_the_service() {
        let shutdown = CancellationToken::new();
        let mut tasks = Tasks::new("test-service", shutdown.clone());
        let watcher = shutdown.clone();
        tasks.spawn("loop", async move { watcher.cancelled().await });
        tasks.spawn("scheduler", async {});
        let error = tasks.run_until_stopped().await.expect_err("the scheduler returned");
        assert!(error.to_string().contains("task scheduler returned"), "{error}");
    }

    #[tokio::test]
    async fn shutdown_waits_for_every_task_and_succeeds() {
        let shutdown = CancellationToken::new();
        let mut tasks = Tasks::new("test-service", shutdown.clone());
        for name in ["a", "b"] {
            let watcher = shutdown.clone();
            tasks.spawn(name, async move { watcher.cancelled().await });
        }
        let run = tokio::spawn(tasks.run_until_stopped());
        shutdown.cancel();
        run.await.expect("join").expect("a clean stop");
    }
}
