//! Wake-ups: a dedicated connection LISTENs on a channel (`pathfinder_events`, `pathfinder_digests`, ...) and pokes
//! the workers; it reconnects by itself. Workers also poll, so a missed notification only delays work by one poll
//! interval.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use futures_util::StreamExt;
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;

/// The queue loop every worker runs: `pass` (claim and do one batch, returning how many items it claimed) is
/// repeated until it finds nothing or fails, then the loop waits for a poke on `wake`, the `poll` interval or
/// shutdown, and starts again; it returns at shutdown. A failed pass is logged as "`what` failed" and tried again
/// after the wait.
pub async fn drain_until_stopped<F, Fut>(
    what: &str,
    wake: &Notify,
    poll: Duration,
    shutdown: &CancellationToken,
    mut pass: F,
) where
    F: FnMut() -> Fut,
    Fut: Future<Output = anyhow::Result<usize>>,
{
    while !shutdown.is_cancelled() {
        loop {
            if shutdown.is_cancelled() {
                return;
            }
            match pass().await {
                Ok(0) => break,
                Ok(_) => {}
                Err(error) => {
                    tracing::warn!(error = %format!("{error:#}"), "{what} failed; retrying after a pause");
                    break;
                }
            }
        }
        tokio::select! {
            _ = shutdown.cancelled() => return,
            _ = wake.notified() => {}
            _ = tokio::time::sleep(poll) => {}
        }
    }
}

/// Spawns the listener on `channel`; returns the `Notify` it pokes.
pub fn spawn(database_url: String, channel: &'static str, shutdown: CancellationToken) -> Arc<Notify> {
    let notify = Arc::new(Notify::new());
    let poke = notify.clone();
    tokio::spawn(async move {
        let mut backoff = Duration::from_millis(200);
        while !shutdown.is_cancelled() {
            match listen_until_closed(&database_url, channel, &poke, &shutdown).await {
                Ok(()) => backoff = Duration::from_millis(200),
                Err(error) => {
                    tracing::warn!(error = %error, "LISTEN connection lost; retrying");
                    backoff = (backoff * 2).min(Duration::from_secs(10));
                }
            }
            tokio::select! {
                _ = shutdown.cancelled() => break,
                _ = tokio::time::sleep(backoff) => {}
            }
        }
    });
    notify
}

async fn listen_until_closed(
    database_url: &str,
    channel: &str,
    poke: &Notify,
    shutdown: &CancellationToken,
) -> anyhow::Result<()> {
    let target = crate::db::tls::parse(database_url)?;
    match target.tls {
        Some(tls) => {
            let (client, connection) = target.config.connect(tls).await?;
            listen_on(client, connection, channel, poke, shutdown).await
        }
        None => {
            let (client, connection) = target.config.connect(tokio_postgres::NoTls).await?;
            listen_on(client, connection, channel, poke, shutdown).await
        }
    }
}

async fn listen_on<S, T>(
    client: tokio_postgres::Client,
    mut connection: tokio_postgres::Connection<S, T>,
    channel: &str,
    poke: &Notify,
    shutdown: &CancellationToken,
) -> anyhow::Result<()>
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin,
    T: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin,
{
    let mut messages = futures_util::stream::poll_fn(move |cx| connection.poll_message(cx));
    let statement = format!("LISTEN {channel}");
    let listen = client.batch_execute(&statement);
    // The connection must be polled for LISTEN to complete.
    let mut listen = std::pin::pin!(listen);
    loop {
        tokio::select! {
            result = &mut listen => { result?; break; }
            message = messages.next() => if message.is_none() { anyhow::bail!("connection closed") },
        }
    }
    // Events may have arrived before LISTEN took effect.
    poke.notify_waiters();
    poke.notify_one();
    loop {
        tokio::select! {
            _ = shutdown.cancelled() => return Ok(()),
            message = messages.next() => match message {
                Some(Ok(tokio_postgres::AsyncMessage::Notification(_))) => {
                    poke.notify_waiters();
                    poke.notify_one();
                }
                Some(Ok(_)) => {}
                Some(Err(error)) => return Err(error.into()),
                None => anyhow::bail!("connection closed"),
            },
        }
    }
}
