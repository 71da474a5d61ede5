//! Profile assignment status: working out which profile targets each device of a tenant whose
//! devices, groups, members or assignments changed, and settling devices that have waited the
//! assignment delay. Both are woken by the same notifications.

use std::time::Duration;

use super::{DueWork, tenant_by_tenant};
use crate::store::{ASSIGNMENT_CHANNEL, Store, StoreError};

pub struct AssignmentRecompute;

impl DueWork for AssignmentRecompute {
    const NAME: &'static str = "assignment recompute";
    const CHANNEL: &'static str = ASSIGNMENT_CHANNEL;
    /// Tenants a pass, one transaction each: a pass works through what one discovery found
    /// rather than discovering again after every tenant.
    const BATCH: i64 = 100;

    async fn run_due(&self, store: &Store) -> Result<usize, StoreError> {
        let tenants = store.tenants_with_recomputes().await?;
        tenant_by_tenant(tenants, Self::BATCH, |tenant, _| {
            store.recompute_assignments(tenant)
        })
        .await
    }

    async fn next_due(&self, store: &Store) -> Result<Option<Duration>, StoreError> {
        store.next_assignment_recompute().await
    }
}

/// The assignment delay pending devices wait (`--assignment-delay`).
pub struct AssignmentSettling {
    pub delay: Duration,
}

impl DueWork for AssignmentSettling {
    const NAME: &'static str = "assignment settling";
    const CHANNEL: &'static str = ASSIGNMENT_CHANNEL;
    const BATCH: i64 = 1000;

    async fn run_due(&self, store: &Store) -> Result<usize, StoreError> {
        let tenants = store.tenants_with_settling_due(self.delay).await?;
        tenant_by_tenant(tenants, Self::BATCH, |tenant, limit| {
            store.settle_assignments(tenant, self.delay, limit)
        })
        .await
    }

    async fn next_due(&self, store: &Store) -> Result<Option<Duration>, StoreError> {
        store.next_assignment_settle(self.delay).await
    }
}
