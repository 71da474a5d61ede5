//! Completes Autopilot syncs once they have run their course, woken by the trigger's notification
//! or by the next running sync's completion time.

use std::time::Duration;

use super::DueWork;
use crate::store::{SYNC_CHANNEL, Store, StoreError};

pub struct SyncCompletion;

impl DueWork for SyncCompletion {
    const NAME: &'static str = "sync completion";
    const CHANNEL: &'static str = SYNC_CHANNEL;
    const BATCH: i64 = 100;

    async fn run_due(&self, store: &Store) -> Result<usize, StoreError> {
        store.complete_syncs(Self::BATCH).await
    }

    async fn next_due(&self, store: &Store) -> Result<Option<Duration>, StoreError> {
        store.next_sync_due().await
    }
}
