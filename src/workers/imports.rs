//! Processes imported identities once they are due: woken by the insert trigger's notification (from
//! any instance) or by a timer set for the oldest pending record, and otherwise asleep.

use std::time::Duration;

use sqlx::postgres::PgListener;

use crate::store::Store;

/// Records processed per transaction.
const BATCH: i64 = 500;
/// The longest sleep with nothing pending, in case a notification was lost with a connection.
const IDLE_RECHECK: Duration = Duration::from_secs(60);
/// How soon to look again at due records another instance holds (it is processing them, or died
/// doing so and its transaction is being rolled back).
const HELD_RECHECK: Duration = Duration::from_secs(1);
/// The longest pause after a failure (the database restarting, say) before trying again.
const MAX_BACKOFF: Duration = Duration::from_secs(5);

/// Runs until the task is dropped; every failure is logged and retried with backoff.
pub async fn run(store: Store, delay: Duration) {
    let mut listener: Option<PgListener> = None;
    let mut backoff = Duration::from_millis(250);
    loop {
        match step(&store, delay, &mut listener).await {
            Ok(()) => backoff = Duration::from_millis(250),
            Err(error) => {
                log::warn!("import processing failed ({error}); retrying in {backoff:?}");
                listener = None;
                tokio::time::sleep(backoff).await;
                backoff = (backoff * 2).min(MAX_BACKOFF);
            }
        }
    }
}

/// Processes everything due, then waits until something may be.
async fn step(
    store: &Store,
    delay: Duration,
    listener: &mut Option<PgListener>,
) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    if listener.is_none() {
        // Listening before looking: a record inserted from now on wakes the wait below.
        *listener = Some(store.import_listener().await?);
    }
    let mut processed = store.process_imports(delay, BATCH).await?;
    while processed as i64 == BATCH {
        processed = store.process_imports(delay, BATCH).await?;
    }
    let wait = match store.next_import_due(delay).await? {
        // Due, yet none was free to take: another instance holds them.
        Some(Duration::ZERO) if processed == 0 => HELD_RECHECK,
        Some(due) => due.min(IDLE_RECHECK),
        None => IDLE_RECHECK,
    };
    let listener = listener.as_mut().expect("connected above");
    tokio::select! {
        notified = listener.recv() => { notified?; }
        () = tokio::time::sleep(wait) => {}
    }
    Ok(())
}
