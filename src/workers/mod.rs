//! Background work. Its state lives in PostgreSQL, so any instance may do any piece of it and a
//! restart loses none of it. Each kind of work runs the same loop: do what is due, then sleep until
//! a notification (from any instance) or the next due time. What is due is found in two steps, so
//! that every statement that claims work stays within one tenant (one shard, sharded by tenant): a
//! discovery query names the tenants with work due, reading across tenants without taking a lock,
//! then the work is claimed and done tenant by tenant.

pub mod assignments;
pub mod device_actions;
pub mod enrollments;
pub mod imports;
pub mod syncs;

use std::time::Duration;

use sqlx::postgres::PgListener;

use crate::domain::Tenant;
use crate::store::{Store, StoreError};

/// The longest sleep with nothing due, in case a notification was lost with a connection.
const IDLE_RECHECK: Duration = Duration::from_secs(60);
/// How soon to look again at due work another instance holds (it is doing it, or died doing so and
/// its transaction is being rolled back).
const HELD_RECHECK: Duration = Duration::from_secs(1);
/// The longest pause after a failure (the database restarting, say) before trying again.
const MAX_BACKOFF: Duration = Duration::from_secs(5);

/// One kind of background work.
pub trait DueWork: Send + Sync + 'static {
    /// What it is, for the log.
    const NAME: &'static str;
    /// The channel notified when new work is there.
    const CHANNEL: &'static str;
    /// The most pieces one [`DueWork::run_due`] takes.
    const BATCH: i64;

    /// Does at most `BATCH` pieces that are due; returns how many.
    fn run_due(&self, store: &Store) -> impl Future<Output = Result<usize, StoreError>> + Send;

    /// How long until the next piece is due: zero when one is, `None` when there is none.
    fn next_due(
        &self,
        store: &Store,
    ) -> impl Future<Output = Result<Option<Duration>, StoreError>> + Send;
}

/// Runs `work` until the task is dropped; every failure is logged and retried with backoff.
pub async fn run<W: DueWork>(store: Store, work: W) {
    let mut listener: Option<PgListener> = None;
    let mut backoff = Duration::from_millis(250);
    loop {
        match step(&store, &work, &mut listener).await {
            Ok(()) => backoff = Duration::from_millis(250),
            Err(error) => {
                log::warn!("{} failed ({error}); retrying in {backoff:?}", W::NAME);
                listener = None;
                tokio::time::sleep(backoff).await;
                backoff = (backoff * 2).min(MAX_BACKOFF);
            }
        }
    }
}

/// Does everything due, then waits until something may be.
async fn step<W: DueWork>(
    store: &Store,
    work: &W,
    listener: &mut Option<PgListener>,
) -> Result<(), StoreError> {
    if listener.is_none() {
        // Listening before looking: work added from now on wakes the wait below.
        *listener = Some(store.listener(W::CHANNEL).await?);
    }
    let mut done = work.run_due(store).await?;
    while done as i64 == W::BATCH {
        done = work.run_due(store).await?;
    }
    let wait = match work.next_due(store).await? {
        // Due, yet none was free to take: another instance holds it.
        Some(Duration::ZERO) if done == 0 => HELD_RECHECK,
        Some(due) => due.min(IDLE_RECHECK),
        None => IDLE_RECHECK,
    };
    let listener = listener.as_mut().expect("connected above");
    tokio::select! {
        notified = listener.recv() => { notified.map_err(StoreError::from)?; }
        () = tokio::time::sleep(wait) => {}
    }
    Ok(())
}

/// Does due work of `tenants`, in their order, until `limit` pieces are done: `work` does at most
/// the pieces it is given of one tenant and returns how many it did (none when another instance
/// holds them). Returns how many pieces were done in all.
async fn tenant_by_tenant<F>(
    tenants: Vec<Tenant>,
    limit: i64,
    mut work: impl FnMut(Tenant, i64) -> F,
) -> Result<usize, StoreError>
where
    F: Future<Output = Result<usize, StoreError>>,
{
    let mut done = 0;
    for tenant in tenants {
        let left = limit - done as i64;
        if left <= 0 {
            break;
        }
        done += work(tenant, left).await?;
    }
    Ok(done)
}
