//! `--auto-enroll-after`: devices whose deployment profile was assigned that long ago and that
//! never enrolled go through a simulated successful deployment by themselves. A device that starts
//! waiting for its profile wakes it (the assignments' channel), and it sleeps no longer than until
//! that device could be due: the soonest it settles is when it started waiting.

use std::time::Duration;

use super::{DueWork, tenant_by_tenant};
use crate::store::{ASSIGNMENT_CHANNEL, Store, StoreError};

pub struct AutoEnrollment {
    pub after: Duration,
}

impl DueWork for AutoEnrollment {
    const NAME: &'static str = "auto-enrollment";
    const CHANNEL: &'static str = ASSIGNMENT_CHANNEL;
    /// Devices a transaction: each is a few rows in five tables.
    const BATCH: i64 = 500;

    async fn run_due(&self, store: &Store) -> Result<usize, StoreError> {
        let tenants = store.tenants_with_enrollments_due(self.after).await?;
        tenant_by_tenant(tenants, Self::BATCH, |tenant, limit| {
            store.auto_enroll(tenant, self.after, limit)
        })
        .await
    }

    async fn next_due(&self, store: &Store) -> Result<Option<Duration>, StoreError> {
        store.next_enrollment_due(self.after).await
    }
}
