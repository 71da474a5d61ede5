//! Completes Autopilot syncs once they have run their course, woken by the trigger's notification
//! or by the next running sync's completion time.

use std::time::Duration;

use super::{DueWork, tenant_by_tenant};
use crate::store::{SYNC_CHANNEL, Store, StoreError};

pub struct SyncCompletion;

impl DueWork for SyncCompletion {
    const NAME: &'static str = "sync completion";
    const CHANNEL: &'static str = SYNC_CHANNEL;
    const BATCH: i64 = 100;

    async fn run_due(&self, store: &Store) -> Result<usize, StoreError> {
        let tenants = store.tenants_with_syncs_due(Self::BATCH).await?;
        tenant_by_tenant(tenants, Self::BATCH, |tenant, _| {
            store.complete_sync(tenant)
        })
        .await
    }

    async fn next_due(&self, store: &Store) -> Result<Option<Duration>, StoreError> {
        store.next_sync_due().await
    }
}
