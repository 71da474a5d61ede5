//! Settles managed devices' remote actions once due (done, and wipe, retire and setDeviceName
//! taking effect), woken by the notification of an action sent or by the next one's due time, so
//! that the Autopilot identity of a wiped device is unlinked without anyone reading the device.

use std::time::Duration;

use super::{DueWork, tenant_by_tenant};
use crate::store::{DEVICE_ACTIONS_CHANNEL, Store, StoreError};

pub struct DeviceActionSettling;

impl DueWork for DeviceActionSettling {
    const NAME: &'static str = "device action settling";
    const CHANNEL: &'static str = DEVICE_ACTIONS_CHANNEL;
    const BATCH: i64 = 100;

    async fn run_due(&self, store: &Store) -> Result<usize, StoreError> {
        let tenants = store.tenants_with_device_actions_due(Self::BATCH).await?;
        tenant_by_tenant(tenants, Self::BATCH, |tenant, _| {
            store.settle_device_actions(tenant)
        })
        .await
    }

    async fn next_due(&self, store: &Store) -> Result<Option<Duration>, StoreError> {
        store.next_device_action_due().await
    }
}
